use starknet::ContractAddress;

#[derive(Copy, Drop, Serde, PartialEq, Debug, starknet::Store)]
pub enum EscrowState {
    #[default]
    AwaitingPayment,
    AwaitingDelivery,
    Complete,
    Refunded,
}

#[starknet::interface]
pub trait IEscrow<TContractState> {
    fn deposit(ref self: TContractState, amount: u128);
    fn confirm_delivery(ref self: TContractState);
    fn refund(ref self: TContractState);
    fn state(self: @TContractState) -> EscrowState;
    fn paid_to(self: @TContractState, account: ContractAddress) -> u128;
}

#[starknet::contract]
pub mod Escrow {
    use starknet::storage::{
        Map, StorageMapReadAccess, StorageMapWriteAccess, StoragePointerReadAccess,
        StoragePointerWriteAccess,
    };
    use starknet::{ContractAddress, get_caller_address};
    use super::EscrowState;

    #[storage]
    struct Storage {
        buyer: ContractAddress,
        seller: ContractAddress,
        arbiter: ContractAddress,
        price: u128,
        state: EscrowState,
        paid: Map<ContractAddress, u128>,
    }

    #[constructor]
    fn constructor(
        ref self: ContractState,
        buyer: ContractAddress,
        seller: ContractAddress,
        arbiter: ContractAddress,
        price: u128,
    ) {
        self.buyer.write(buyer);
        self.seller.write(seller);
        self.arbiter.write(arbiter);
        self.price.write(price);
    }

    #[abi(embed_v0)]
    impl EscrowImpl of super::IEscrow<ContractState> {
        fn deposit(ref self: ContractState, amount: u128) {
            assert(get_caller_address() == self.buyer.read(), 'Only the buyer');
            assert(self.state.read() == EscrowState::AwaitingPayment, 'Wrong state');
            assert(amount == self.price.read(), 'Wrong amount');
            self.state.write(EscrowState::AwaitingDelivery);
        }

        fn confirm_delivery(ref self: ContractState) {
            let caller = get_caller_address();
            assert(caller == self.buyer.read() || caller == self.arbiter.read(), 'Not allowed');
            assert(self.state.read() == EscrowState::AwaitingDelivery, 'Wrong state');
            self.state.write(EscrowState::Complete);
            let seller = self.seller.read();
            self.paid.write(seller, self.paid.read(seller) + self.price.read());
        }

        fn refund(ref self: ContractState) {
            let caller = get_caller_address();
            assert(caller == self.seller.read() || caller == self.arbiter.read(), 'Not allowed');
            assert(self.state.read() == EscrowState::AwaitingDelivery, 'Wrong state');
            self.state.write(EscrowState::Refunded);
            let buyer = self.buyer.read();
            self.paid.write(buyer, self.paid.read(buyer) + self.price.read());
        }

        fn state(self: @ContractState) -> EscrowState {
            self.state.read()
        }

        fn paid_to(self: @ContractState, account: ContractAddress) -> u128 {
            self.paid.read(account)
        }
    }
}
