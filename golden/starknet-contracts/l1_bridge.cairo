use starknet::{ContractAddress, EthAddress};

#[starknet::interface]
pub trait IL1Bridge<TContractState> {
    fn balance_of(self: @TContractState, user: ContractAddress) -> u128;
    fn withdraw_to_l1(ref self: TContractState, l1_recipient: EthAddress, amount: u128);
    fn l1_bridge(self: @TContractState) -> EthAddress;
}

#[starknet::contract]
pub mod L1Bridge {
    use starknet::storage::{
        Map, StorageMapReadAccess, StorageMapWriteAccess, StoragePointerReadAccess,
        StoragePointerWriteAccess,
    };
    use starknet::syscalls::send_message_to_l1_syscall;
    use starknet::{ContractAddress, EthAddress, SyscallResultTrait, get_caller_address};

    #[storage]
    struct Storage {
        l1_bridge: EthAddress,
        balances: Map<ContractAddress, u128>,
    }

    #[constructor]
    fn constructor(ref self: ContractState, l1_bridge: EthAddress) {
        self.l1_bridge.write(l1_bridge);
    }

    /// Credits `user` with `amount`; only messages from the registered L1 bridge are accepted.
    #[l1_handler]
    pub fn deposit(ref self: ContractState, from_address: felt252, user: ContractAddress, amount: u128) {
        assert(from_address == self.l1_bridge.read().into(), 'Unknown L1 sender');
        self.balances.write(user, self.balances.read(user) + amount);
    }

    #[abi(embed_v0)]
    impl L1BridgeImpl of super::IL1Bridge<ContractState> {
        fn balance_of(self: @ContractState, user: ContractAddress) -> u128 {
            self.balances.read(user)
        }

        /// Debits the caller and sends the L1 bridge the message `[l1_recipient, amount]`.
        fn withdraw_to_l1(ref self: ContractState, l1_recipient: EthAddress, amount: u128) {
            let caller = get_caller_address();
            let balance = self.balances.read(caller);
            assert(balance >= amount, 'Insufficient balance');
            self.balances.write(caller, balance - amount);
            let payload = array![l1_recipient.into(), amount.into()];
            send_message_to_l1_syscall(self.l1_bridge.read().into(), payload.span()).unwrap_syscall();
        }

        fn l1_bridge(self: @ContractState) -> EthAddress {
            self.l1_bridge.read()
        }
    }
}
