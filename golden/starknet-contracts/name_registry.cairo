use starknet::ContractAddress;

#[starknet::interface]
pub trait INameRegistry<TContractState> {
    fn register(ref self: TContractState, name: felt252);
    fn release(ref self: TContractState);
    fn name_of(self: @TContractState, owner: ContractAddress) -> felt252;
    fn owner_of(self: @TContractState, name: felt252) -> ContractAddress;
    fn registered_count(self: @TContractState) -> u64;
}

#[starknet::contract]
pub mod NameRegistry {
    use core::num::traits::Zero;
    use starknet::storage::{
        Map, StorageMapReadAccess, StorageMapWriteAccess, StoragePointerReadAccess,
        StoragePointerWriteAccess,
    };
    use starknet::{ContractAddress, get_caller_address};

    #[storage]
    struct Storage {
        names: Map<ContractAddress, felt252>,
        owners: Map<felt252, ContractAddress>,
        count: u64,
    }

    #[abi(embed_v0)]
    impl NameRegistryImpl of super::INameRegistry<ContractState> {
        fn register(ref self: ContractState, name: felt252) {
            assert(name != 0, 'Empty name');
            let caller = get_caller_address();
            assert(self.names.read(caller) == 0, 'Already has a name');
            assert(self.owners.read(name).is_zero(), 'Name taken');
            self.names.write(caller, name);
            self.owners.write(name, caller);
            self.count.write(self.count.read() + 1);
        }

        fn release(ref self: ContractState) {
            let caller = get_caller_address();
            let name = self.names.read(caller);
            assert(name != 0, 'No name');
            self.names.write(caller, 0);
            self.owners.write(name, Zero::zero());
            self.count.write(self.count.read() - 1);
        }

        fn name_of(self: @ContractState, owner: ContractAddress) -> felt252 {
            self.names.read(owner)
        }

        fn owner_of(self: @ContractState, name: felt252) -> ContractAddress {
            self.owners.read(name)
        }

        fn registered_count(self: @ContractState) -> u64 {
            self.count.read()
        }
    }
}
