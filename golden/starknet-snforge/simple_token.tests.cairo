use snforge_std::{
    ContractClassTrait, DeclareResultTrait, EventSpyAssertionsTrait, declare, spy_events,
    start_cheat_caller_address,
};
use starknet::ContractAddress;

fn alice() -> ContractAddress {
    'alice'.try_into().unwrap()
}

fn bob() -> ContractAddress {
    'bob'.try_into().unwrap()
}

fn carol() -> ContractAddress {
    'carol'.try_into().unwrap()
}

fn zero() -> ContractAddress {
    0.try_into().unwrap()
}

const SUPPLY: u256 = 1000;

fn deploy() -> ISimpleTokenDispatcher {
    let class = declare("SimpleToken").unwrap().contract_class();
    let mut calldata = array![alice().into()];
    SUPPLY.serialize(ref calldata);
    let (contract_address, _) = class.deploy(@calldata).unwrap();
    ISimpleTokenDispatcher { contract_address }
}

fn transfer_event(from: ContractAddress, to: ContractAddress, value: u256) -> SimpleToken::Event {
    SimpleToken::Event::Transfer(SimpleToken::Transfer { from, to, value })
}

#[test]
fn the_constructor_mints_to_the_recipient_and_emits() {
    let mut spy = spy_events();
    let token = deploy();
    assert_eq!(token.total_supply(), SUPPLY);
    assert_eq!(token.balance_of(alice()), SUPPLY);
    assert_eq!(token.balance_of(bob()), 0);
    spy.assert_emitted(@array![(token.contract_address, transfer_event(zero(), alice(), SUPPLY))]);
}

#[test]
fn transfer_moves_the_balance_and_emits() {
    let token = deploy();
    let mut spy = spy_events();
    start_cheat_caller_address(token.contract_address, alice());
    assert!(token.transfer(bob(), 300));
    assert_eq!(token.balance_of(alice()), 700);
    assert_eq!(token.balance_of(bob()), 300);
    assert_eq!(token.total_supply(), SUPPLY);
    spy.assert_emitted(@array![(token.contract_address, transfer_event(alice(), bob(), 300))]);
}

#[test]
#[should_panic(expected: 'Insufficient balance')]
fn transfer_beyond_the_balance_panics() {
    let token = deploy();
    start_cheat_caller_address(token.contract_address, bob());
    token.transfer(alice(), 1);
}

#[test]
fn approve_then_transfer_from_spends_the_allowance() {
    let token = deploy();
    let mut spy = spy_events();
    start_cheat_caller_address(token.contract_address, alice());
    assert!(token.approve(bob(), 500));
    assert_eq!(token.allowance(alice(), bob()), 500);
    let approval = SimpleToken::Event::Approval(
        SimpleToken::Approval { owner: alice(), spender: bob(), value: 500 },
    );
    spy.assert_emitted(@array![(token.contract_address, approval)]);
    start_cheat_caller_address(token.contract_address, bob());
    assert!(token.transfer_from(alice(), carol(), 200));
    assert_eq!(token.allowance(alice(), bob()), 300);
    assert_eq!(token.balance_of(alice()), 800);
    assert_eq!(token.balance_of(carol()), 200);
    spy.assert_emitted(@array![(token.contract_address, transfer_event(alice(), carol(), 200))]);
}

#[test]
#[should_panic(expected: 'Insufficient allowance')]
fn transfer_from_beyond_the_allowance_panics() {
    let token = deploy();
    start_cheat_caller_address(token.contract_address, alice());
    token.approve(bob(), 10);
    start_cheat_caller_address(token.contract_address, bob());
    token.transfer_from(alice(), carol(), 11);
}
