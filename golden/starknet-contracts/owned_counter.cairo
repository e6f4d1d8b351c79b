use starknet::ContractAddress;

#[starknet::interface]
pub trait IOwnedCounter<TContractState> {
    fn get(self: @TContractState) -> u64;
    fn owner(self: @TContractState) -> ContractAddress;
    fn increase(ref self: TContractState, amount: u64);
    fn transfer_ownership(ref self: TContractState, new_owner: ContractAddress);
}

#[starknet::contract]
pub mod OwnedCounter {
    use starknet::{ContractAddress, get_caller_address};
    use starknet::storage::{StoragePointerReadAccess, StoragePointerWriteAccess};

    #[storage]
    struct Storage {
        count: u64,
        owner: ContractAddress,
    }

    #[constructor]
    fn constructor(ref self: ContractState, owner: ContractAddress) {
        self.owner.write(owner);
    }

    #[generate_trait]
    impl InternalImpl of InternalTrait {
        fn assert_only_owner(self: @ContractState) {
            assert(get_caller_address() == self.owner.read(), 'Caller is not the owner');
        }
    }

    #[abi(embed_v0)]
    impl OwnedCounterImpl of super::IOwnedCounter<ContractState> {
        fn get(self: @ContractState) -> u64 {
            self.count.read()
        }

        fn owner(self: @ContractState) -> ContractAddress {
            self.owner.read()
        }

        fn increase(ref self: ContractState, amount: u64) {
            self.assert_only_owner();
            self.count.write(self.count.read() + amount);
        }

        fn transfer_ownership(ref self: ContractState, new_owner: ContractAddress) {
            self.assert_only_owner();
            self.owner.write(new_owner);
        }
    }
}
