use starknet::ContractAddress;

#[starknet::interface]
pub trait ICappedToken<TContractState> {
    fn name(self: @TContractState) -> ByteArray;
    fn symbol(self: @TContractState) -> ByteArray;
    fn decimals(self: @TContractState) -> u8;
    fn cap(self: @TContractState) -> u256;
    fn total_supply(self: @TContractState) -> u256;
    fn balance_of(self: @TContractState, account: ContractAddress) -> u256;
    fn transfer(ref self: TContractState, recipient: ContractAddress, amount: u256) -> bool;
    fn mint(ref self: TContractState, recipient: ContractAddress, amount: u256);
    fn burn(ref self: TContractState, amount: u256);
}

#[starknet::contract]
pub mod CappedToken {
    use core::num::traits::Zero;
    use starknet::storage::{
        Map, StorageMapReadAccess, StorageMapWriteAccess, StoragePointerReadAccess,
        StoragePointerWriteAccess,
    };
    use starknet::{ContractAddress, get_caller_address};

    #[storage]
    struct Storage {
        name: ByteArray,
        symbol: ByteArray,
        cap: u256,
        owner: ContractAddress,
        total_supply: u256,
        balances: Map<ContractAddress, u256>,
    }

    #[event]
    #[derive(Drop, starknet::Event)]
    pub enum Event {
        Transfer: Transfer,
    }

    #[derive(Drop, starknet::Event)]
    pub struct Transfer {
        #[key]
        pub from: ContractAddress,
        #[key]
        pub to: ContractAddress,
        pub value: u256,
    }

    #[constructor]
    fn constructor(
        ref self: ContractState, name: ByteArray, symbol: ByteArray, cap: u256, owner: ContractAddress,
    ) {
        assert(cap > 0, 'Cap must be positive');
        self.name.write(name);
        self.symbol.write(symbol);
        self.cap.write(cap);
        self.owner.write(owner);
    }

    #[abi(embed_v0)]
    impl CappedTokenImpl of super::ICappedToken<ContractState> {
        fn name(self: @ContractState) -> ByteArray {
            self.name.read()
        }

        fn symbol(self: @ContractState) -> ByteArray {
            self.symbol.read()
        }

        fn decimals(self: @ContractState) -> u8 {
            18
        }

        fn cap(self: @ContractState) -> u256 {
            self.cap.read()
        }

        fn total_supply(self: @ContractState) -> u256 {
            self.total_supply.read()
        }

        fn balance_of(self: @ContractState, account: ContractAddress) -> u256 {
            self.balances.read(account)
        }

        fn transfer(ref self: ContractState, recipient: ContractAddress, amount: u256) -> bool {
            assert(!recipient.is_zero(), 'Transfer to zero address');
            let sender = get_caller_address();
            let balance = self.balances.read(sender);
            assert(balance >= amount, 'Insufficient balance');
            self.balances.write(sender, balance - amount);
            self.balances.write(recipient, self.balances.read(recipient) + amount);
            self.emit(Transfer { from: sender, to: recipient, value: amount });
            true
        }

        fn mint(ref self: ContractState, recipient: ContractAddress, amount: u256) {
            assert(get_caller_address() == self.owner.read(), 'Not the owner');
            assert(!recipient.is_zero(), 'Mint to zero address');
            let supply = self.total_supply.read() + amount;
            assert(supply <= self.cap.read(), 'Cap exceeded');
            self.total_supply.write(supply);
            self.balances.write(recipient, self.balances.read(recipient) + amount);
            self.emit(Transfer { from: Zero::zero(), to: recipient, value: amount });
        }

        fn burn(ref self: ContractState, amount: u256) {
            let caller = get_caller_address();
            let balance = self.balances.read(caller);
            assert(balance >= amount, 'Insufficient balance');
            self.balances.write(caller, balance - amount);
            self.total_supply.write(self.total_supply.read() - amount);
            self.emit(Transfer { from: caller, to: Zero::zero(), value: amount });
        }
    }
}
