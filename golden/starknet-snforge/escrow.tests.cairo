use snforge_std::{ContractClassTrait, DeclareResultTrait, declare, start_cheat_caller_address};
use starknet::ContractAddress;

fn buyer() -> ContractAddress {
    'buyer'.try_into().unwrap()
}

fn seller() -> ContractAddress {
    'seller'.try_into().unwrap()
}

fn arbiter() -> ContractAddress {
    'arbiter'.try_into().unwrap()
}

fn deploy() -> IEscrowDispatcher {
    let class = declare("Escrow").unwrap().contract_class();
    let calldata = array![buyer().into(), seller().into(), arbiter().into(), 500];
    let (contract_address, _) = class.deploy(@calldata).unwrap();
    IEscrowDispatcher { contract_address }
}

#[test]
fn the_buyer_pays_and_confirms() {
    let escrow = deploy();
    assert_eq!(escrow.state(), EscrowState::AwaitingPayment);
    start_cheat_caller_address(escrow.contract_address, buyer());
    escrow.deposit(500);
    assert_eq!(escrow.state(), EscrowState::AwaitingDelivery);
    escrow.confirm_delivery();
    assert_eq!(escrow.state(), EscrowState::Complete);
    assert_eq!(escrow.paid_to(seller()), 500);
    assert_eq!(escrow.paid_to(buyer()), 0);
}

#[test]
fn the_arbiter_refunds_the_buyer() {
    let escrow = deploy();
    start_cheat_caller_address(escrow.contract_address, buyer());
    escrow.deposit(500);
    start_cheat_caller_address(escrow.contract_address, arbiter());
    escrow.refund();
    assert_eq!(escrow.state(), EscrowState::Refunded);
    assert_eq!(escrow.paid_to(buyer()), 500);
    assert_eq!(escrow.paid_to(seller()), 0);
}

#[test]
#[should_panic(expected: 'Wrong amount')]
fn only_the_exact_price_is_accepted() {
    let escrow = deploy();
    start_cheat_caller_address(escrow.contract_address, buyer());
    escrow.deposit(499);
}

#[test]
#[should_panic(expected: 'Only the buyer')]
fn only_the_buyer_deposits() {
    let escrow = deploy();
    start_cheat_caller_address(escrow.contract_address, seller());
    escrow.deposit(500);
}

#[test]
#[should_panic(expected: 'Not allowed')]
fn the_seller_cannot_confirm() {
    let escrow = deploy();
    start_cheat_caller_address(escrow.contract_address, buyer());
    escrow.deposit(500);
    start_cheat_caller_address(escrow.contract_address, seller());
    escrow.confirm_delivery();
}

#[test]
#[should_panic(expected: 'Wrong state')]
fn no_refund_after_completion() {
    let escrow = deploy();
    start_cheat_caller_address(escrow.contract_address, buyer());
    escrow.deposit(500);
    escrow.confirm_delivery();
    start_cheat_caller_address(escrow.contract_address, arbiter());
    escrow.refund();
}
