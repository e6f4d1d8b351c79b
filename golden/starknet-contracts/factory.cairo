use starknet::{ClassHash, ContractAddress};

#[starknet::interface]
pub trait IChild<TContractState> {
    fn owner(self: @TContractState) -> ContractAddress;
    fn label(self: @TContractState) -> felt252;
}

#[starknet::interface]
pub trait IFactory<TContractState> {
    fn create(ref self: TContractState, label: felt252) -> ContractAddress;
    fn child_count(self: @TContractState) -> u64;
    fn child(self: @TContractState, index: u64) -> ContractAddress;
    fn child_class_hash(self: @TContractState) -> ClassHash;
}

#[starknet::contract]
pub mod Child {
    use starknet::ContractAddress;
    use starknet::storage::{StoragePointerReadAccess, StoragePointerWriteAccess};

    #[storage]
    struct Storage {
        owner: ContractAddress,
        label: felt252,
    }

    #[constructor]
    fn constructor(ref self: ContractState, owner: ContractAddress, label: felt252) {
        self.owner.write(owner);
        self.label.write(label);
    }

    #[abi(embed_v0)]
    impl ChildImpl of super::IChild<ContractState> {
        fn owner(self: @ContractState) -> ContractAddress {
            self.owner.read()
        }

        fn label(self: @ContractState) -> felt252 {
            self.label.read()
        }
    }
}

/// Deploys `Child` contracts with `deploy_syscall`, the caller as each child's owner.
#[starknet::contract]
pub mod Factory {
    use starknet::storage::{
        MutableVecTrait, StoragePointerReadAccess, StoragePointerWriteAccess, Vec, VecTrait,
    };
    use starknet::syscalls::deploy_syscall;
    use starknet::{ClassHash, ContractAddress, SyscallResultTrait, get_caller_address};

    #[storage]
    struct Storage {
        child_class_hash: ClassHash,
        children: Vec<ContractAddress>,
    }

    #[constructor]
    fn constructor(ref self: ContractState, child_class_hash: ClassHash) {
        self.child_class_hash.write(child_class_hash);
    }

    #[abi(embed_v0)]
    impl FactoryImpl of super::IFactory<ContractState> {
        fn create(ref self: ContractState, label: felt252) -> ContractAddress {
            let calldata = array![get_caller_address().into(), label];
            // the salt is the child's index, so every child gets its own address
            let salt: felt252 = self.children.len().into();
            let (address, _) = deploy_syscall(self.child_class_hash.read(), salt, calldata.span(), false)
                .unwrap_syscall();
            self.children.push(address);
            address
        }

        fn child_count(self: @ContractState) -> u64 {
            self.children.len()
        }

        fn child(self: @ContractState, index: u64) -> ContractAddress {
            assert(index < self.children.len(), 'No such child');
            self.children.at(index).read()
        }

        fn child_class_hash(self: @ContractState) -> ClassHash {
            self.child_class_hash.read()
        }
    }
}
