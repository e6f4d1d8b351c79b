use starknet::ClassHash;

#[starknet::interface]
pub trait IFeeLogic<TContractState> {
    fn fee(self: @TContractState, amount: u128) -> u128;
}

#[starknet::interface]
pub trait IFeeRouter<TContractState> {
    fn quote(self: @TContractState, amount: u128) -> u128;
    fn set_logic(ref self: TContractState, logic: ClassHash);
    fn logic(self: @TContractState) -> ClassHash;
}

/// Fee logic as a class (never deployed): 1% rounded down, at least 1 for a non-zero amount.
#[starknet::contract]
pub mod FeeLogic {
    #[storage]
    struct Storage {}

    #[abi(embed_v0)]
    impl FeeLogicImpl of super::IFeeLogic<ContractState> {
        fn fee(self: @ContractState, amount: u128) -> u128 {
            if amount == 0 {
                return 0;
            }
            let fee = amount / 100;
            if fee == 0 {
                1
            } else {
                fee
            }
        }
    }
}

/// Runs the fee logic of a declared class in its own context with a library call.
#[starknet::contract]
pub mod FeeRouter {
    use starknet::ClassHash;
    use starknet::storage::{StoragePointerReadAccess, StoragePointerWriteAccess};
    use super::{IFeeLogicDispatcherTrait, IFeeLogicLibraryDispatcher};

    #[storage]
    struct Storage {
        logic: ClassHash,
    }

    #[constructor]
    fn constructor(ref self: ContractState, logic: ClassHash) {
        self.logic.write(logic);
    }

    #[abi(embed_v0)]
    impl FeeRouterImpl of super::IFeeRouter<ContractState> {
        fn quote(self: @ContractState, amount: u128) -> u128 {
            IFeeLogicLibraryDispatcher { class_hash: self.logic.read() }.fee(amount)
        }

        fn set_logic(ref self: ContractState, logic: ClassHash) {
            self.logic.write(logic);
        }

        fn logic(self: @ContractState) -> ClassHash {
            self.logic.read()
        }
    }
}
