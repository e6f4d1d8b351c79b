use starknet::ContractAddress;

#[starknet::interface]
pub trait IPriceOracle<TContractState> {
    fn set_price(ref self: TContractState, asset: felt252, price: u128);
    fn set_prices(ref self: TContractState, assets: Span<felt252>, prices: Span<u128>);
    fn get_price(self: @TContractState, asset: felt252) -> u128;
}

/// Reads a price from a deployed oracle through the generated dispatcher.
pub fn read_price(oracle: ContractAddress, asset: felt252) -> u128 {
    IPriceOracleDispatcher { contract_address: oracle }.get_price(asset)
}

#[starknet::contract]
pub mod PriceOracle {
    use starknet::storage::{Map, StorageMapReadAccess, StorageMapWriteAccess};

    #[storage]
    struct Storage {
        prices: Map<felt252, u128>,
    }

    #[abi(embed_v0)]
    impl PriceOracleImpl of super::IPriceOracle<ContractState> {
        fn set_price(ref self: ContractState, asset: felt252, price: u128) {
            self.prices.write(asset, price);
        }

        fn set_prices(ref self: ContractState, assets: Span<felt252>, prices: Span<u128>) {
            assert(assets.len() == prices.len(), 'Length mismatch');
            let mut i: u32 = 0;
            while i < assets.len() {
                self.prices.write(*assets[i], *prices[i]);
                i += 1;
            };
        }

        fn get_price(self: @ContractState, asset: felt252) -> u128 {
            self.prices.read(asset)
        }
    }
}
