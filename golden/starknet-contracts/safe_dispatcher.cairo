use starknet::ContractAddress;

#[starknet::interface]
pub trait IFragileVault<TContractState> {
    fn withdraw(ref self: TContractState, amount: u64) -> u64;
    fn balance(self: @TContractState) -> u64;
}

#[starknet::interface]
pub trait IWithdrawer<TContractState> {
    fn try_withdraw(ref self: TContractState, vault: ContractAddress, amount: u64) -> bool;
    fn failures(self: @TContractState) -> u32;
    fn last_error(self: @TContractState) -> felt252;
}

#[starknet::contract]
pub mod FragileVault {
    use starknet::storage::{StoragePointerReadAccess, StoragePointerWriteAccess};

    #[storage]
    struct Storage {
        balance: u64,
    }

    #[constructor]
    fn constructor(ref self: ContractState, balance: u64) {
        self.balance.write(balance);
    }

    #[abi(embed_v0)]
    impl FragileVaultImpl of super::IFragileVault<ContractState> {
        fn withdraw(ref self: ContractState, amount: u64) -> u64 {
            let balance = self.balance.read();
            assert(amount <= balance, 'Insufficient funds');
            self.balance.write(balance - amount);
            balance - amount
        }

        fn balance(self: @ContractState) -> u64 {
            self.balance.read()
        }
    }
}

/// Calls the vault with the safe dispatcher: a failed call is counted, not propagated.
#[starknet::contract]
pub mod Withdrawer {
    use starknet::ContractAddress;
    use starknet::storage::{StoragePointerReadAccess, StoragePointerWriteAccess};
    use super::{IFragileVaultSafeDispatcher, IFragileVaultSafeDispatcherTrait};

    #[storage]
    struct Storage {
        failures: u32,
        last_error: felt252,
    }

    #[abi(embed_v0)]
    impl WithdrawerImpl of super::IWithdrawer<ContractState> {
        #[feature("safe_dispatcher")]
        fn try_withdraw(ref self: ContractState, vault: ContractAddress, amount: u64) -> bool {
            let vault = IFragileVaultSafeDispatcher { contract_address: vault };
            match vault.withdraw(amount) {
                Result::Ok(_) => true,
                Result::Err(panic_data) => {
                    self.failures.write(self.failures.read() + 1);
                    self.last_error.write(*panic_data.at(0));
                    false
                },
            }
        }

        fn failures(self: @ContractState) -> u32 {
            self.failures.read()
        }

        fn last_error(self: @ContractState) -> felt252 {
            self.last_error.read()
        }
    }
}
