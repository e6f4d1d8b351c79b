#[starknet::interface]
pub trait IPriceHistory<TContractState> {
    fn record(ref self: TContractState, price: u128);
    fn latest(self: @TContractState) -> Option<u128>;
    fn count(self: @TContractState) -> u64;
    fn average_of_last(self: @TContractState, n: u64) -> u128;
    fn max_price(self: @TContractState) -> u128;
}

#[starknet::contract]
pub mod PriceHistory {
    use starknet::storage::{
        MutableVecTrait, StoragePointerReadAccess, StoragePointerWriteAccess, Vec, VecTrait,
    };

    #[storage]
    struct Storage {
        prices: Vec<u128>,
        max: u128,
    }

    #[abi(embed_v0)]
    impl PriceHistoryImpl of super::IPriceHistory<ContractState> {
        fn record(ref self: ContractState, price: u128) {
            assert(price > 0, 'Price must be positive');
            self.prices.push(price);
            if price > self.max.read() {
                self.max.write(price);
            }
        }

        fn latest(self: @ContractState) -> Option<u128> {
            let len = self.prices.len();
            if len == 0 {
                return Option::None;
            }
            Option::Some(self.prices.at(len - 1).read())
        }

        fn count(self: @ContractState) -> u64 {
            self.prices.len()
        }

        fn average_of_last(self: @ContractState, n: u64) -> u128 {
            let len = self.prices.len();
            assert(n > 0 && n <= len, 'Not enough prices');
            let mut sum: u256 = 0;
            for i in (len - n)..len {
                sum += self.prices.at(i).read().into();
            }
            (sum / n.into()).try_into().unwrap()
        }

        fn max_price(self: @ContractState) -> u128 {
            self.max.read()
        }
    }
}
