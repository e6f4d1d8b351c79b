use starknet::{ClassHash, ContractAddress};

#[starknet::interface]
pub trait IUpgradeableCounter<TContractState> {
    fn increase(ref self: TContractState);
    fn get(self: @TContractState) -> u64;
    fn version(self: @TContractState) -> felt252;
    fn owner(self: @TContractState) -> ContractAddress;
    fn upgrade(ref self: TContractState, new_class_hash: ClassHash);
}

#[starknet::contract]
pub mod UpgradeableCounter {
    use core::num::traits::Zero;
    use starknet::storage::{StoragePointerReadAccess, StoragePointerWriteAccess};
    use starknet::syscalls::replace_class_syscall;
    use starknet::{ClassHash, ContractAddress, SyscallResultTrait, get_caller_address};

    #[storage]
    struct Storage {
        owner: ContractAddress,
        count: u64,
    }

    #[event]
    #[derive(Drop, starknet::Event)]
    pub enum Event {
        Upgraded: Upgraded,
    }

    #[derive(Drop, starknet::Event)]
    pub struct Upgraded {
        pub class_hash: ClassHash,
    }

    #[constructor]
    fn constructor(ref self: ContractState, owner: ContractAddress) {
        self.owner.write(owner);
    }

    #[abi(embed_v0)]
    impl UpgradeableCounterImpl of super::IUpgradeableCounter<ContractState> {
        fn increase(ref self: ContractState) {
            self.count.write(self.count.read() + 1);
        }

        fn get(self: @ContractState) -> u64 {
            self.count.read()
        }

        fn version(self: @ContractState) -> felt252 {
            1
        }

        fn owner(self: @ContractState) -> ContractAddress {
            self.owner.read()
        }

        fn upgrade(ref self: ContractState, new_class_hash: ClassHash) {
            assert(get_caller_address() == self.owner.read(), 'Not the owner');
            assert(!new_class_hash.is_zero(), 'Class hash cannot be zero');
            replace_class_syscall(new_class_hash).unwrap_syscall();
            self.emit(Upgraded { class_hash: new_class_hash });
        }
    }
}
