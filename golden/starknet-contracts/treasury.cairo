#[starknet::interface]
pub trait ITreasury<TContractState> {
    fn deposit(ref self: TContractState, amount: u256);
    fn withdraw(ref self: TContractState, amount: u256);
    fn total(self: @TContractState) -> u256;
    fn share_of(self: @TContractState, bps: u16) -> u256;
    fn split(self: @TContractState, parts: u256) -> (u256, u256);
}

#[starknet::contract]
pub mod Treasury {
    use starknet::storage::{StoragePointerReadAccess, StoragePointerWriteAccess};

    const BPS_DENOMINATOR: u256 = 10000;

    #[storage]
    struct Storage {
        total: u256,
    }

    #[abi(embed_v0)]
    impl TreasuryImpl of super::ITreasury<ContractState> {
        fn deposit(ref self: ContractState, amount: u256) {
            // Plain `+` on u256 panics with 'u256_add Overflow' when the sum does not fit.
            self.total.write(self.total.read() + amount);
        }

        fn withdraw(ref self: ContractState, amount: u256) {
            let total = self.total.read();
            assert(amount <= total, 'Insufficient balance');
            self.total.write(total - amount);
        }

        fn total(self: @ContractState) -> u256 {
            self.total.read()
        }

        fn share_of(self: @ContractState, bps: u16) -> u256 {
            assert(bps <= 10000, 'Invalid bps');
            let bps: u256 = bps.into();
            self.total.read() * bps / BPS_DENOMINATOR
        }

        fn split(self: @ContractState, parts: u256) -> (u256, u256) {
            assert(parts != 0, 'Parts must be positive');
            let total = self.total.read();
            (total / parts, total % parts)
        }
    }
}
