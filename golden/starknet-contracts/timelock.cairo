use starknet::ContractAddress;

#[starknet::interface]
pub trait ITimelockVault<TContractState> {
    fn lock(ref self: TContractState, amount: u128, duration: u64);
    fn withdraw(ref self: TContractState) -> u128;
    fn locked_amount(self: @TContractState, owner: ContractAddress) -> u128;
    fn unlock_time(self: @TContractState, owner: ContractAddress) -> u64;
}

#[starknet::contract]
pub mod TimelockVault {
    use starknet::storage::{Map, StorageMapReadAccess, StorageMapWriteAccess};
    use starknet::{ContractAddress, get_block_timestamp, get_caller_address};

    #[storage]
    struct Storage {
        amounts: Map<ContractAddress, u128>,
        unlock_times: Map<ContractAddress, u64>,
    }

    #[abi(embed_v0)]
    impl TimelockVaultImpl of super::ITimelockVault<ContractState> {
        /// Adds `amount` to the caller's lock; the unlock time becomes now + `duration`, and never
        /// moves earlier than an existing lock's.
        fn lock(ref self: ContractState, amount: u128, duration: u64) {
            assert(amount > 0, 'Nothing to lock');
            let caller = get_caller_address();
            let until = get_block_timestamp() + duration;
            if until > self.unlock_times.read(caller) {
                self.unlock_times.write(caller, until);
            }
            self.amounts.write(caller, self.amounts.read(caller) + amount);
        }

        fn withdraw(ref self: ContractState) -> u128 {
            let caller = get_caller_address();
            let amount = self.amounts.read(caller);
            assert(amount > 0, 'Nothing locked');
            assert(get_block_timestamp() >= self.unlock_times.read(caller), 'Still locked');
            self.amounts.write(caller, 0);
            self.unlock_times.write(caller, 0);
            amount
        }

        fn locked_amount(self: @ContractState, owner: ContractAddress) -> u128 {
            self.amounts.read(owner)
        }

        fn unlock_time(self: @ContractState, owner: ContractAddress) -> u64 {
            self.unlock_times.read(owner)
        }
    }
}
