use snforge_std::{
    ContractClassTrait, DeclareResultTrait, EventSpyAssertionsTrait, declare, spy_events,
    start_cheat_caller_address,
};
use starknet::ContractAddress;

const CAP: u256 = 1000000000000000000000000000000000000000; // 10^39 > 2^128

fn owner() -> ContractAddress {
    'owner'.try_into().unwrap()
}

fn alice() -> ContractAddress {
    'alice'.try_into().unwrap()
}

fn zero() -> ContractAddress {
    0.try_into().unwrap()
}

// The constructor's ByteArray and u256 arguments, serialized as a deploy transaction carries them.
fn deploy() -> ICappedTokenDispatcher {
    let class = declare("CappedToken").unwrap().contract_class();
    let mut calldata = array![];
    let name: ByteArray = "Capped Token of the Cairo evals";
    let symbol: ByteArray = "CAP";
    name.serialize(ref calldata);
    symbol.serialize(ref calldata);
    CAP.serialize(ref calldata);
    owner().serialize(ref calldata);
    let (contract_address, _) = class.deploy(@calldata).unwrap();
    ICappedTokenDispatcher { contract_address }
}

fn transfer(from: ContractAddress, to: ContractAddress, value: u256) -> CappedToken::Event {
    CappedToken::Event::Transfer(CappedToken::Transfer { from, to, value })
}

#[test]
fn metadata_comes_from_the_constructor() {
    let token = deploy();
    assert_eq!(token.name(), "Capped Token of the Cairo evals");
    assert_eq!(token.symbol(), "CAP");
    assert_eq!(token.decimals(), 18);
    assert_eq!(token.cap(), CAP);
    assert_eq!(token.total_supply(), 0);
}

#[test]
fn the_owner_mints_up_to_the_cap_and_it_emits() {
    let token = deploy();
    let mut spy = spy_events();
    start_cheat_caller_address(token.contract_address, owner());
    token.mint(alice(), CAP - 1);
    token.mint(alice(), 1);
    assert_eq!(token.total_supply(), CAP);
    assert_eq!(token.balance_of(alice()), CAP);
    spy.assert_emitted(@array![(token.contract_address, transfer(zero(), alice(), CAP - 1))]);
}

#[test]
fn transfer_and_burn_move_balances_and_emit() {
    let token = deploy();
    start_cheat_caller_address(token.contract_address, owner());
    token.mint(alice(), 100);
    let mut spy = spy_events();
    start_cheat_caller_address(token.contract_address, alice());
    assert!(token.transfer(owner(), 30));
    token.burn(20);
    assert_eq!(token.balance_of(alice()), 50);
    assert_eq!(token.balance_of(owner()), 30);
    assert_eq!(token.total_supply(), 80);
    spy
        .assert_emitted(
            @array![
                (token.contract_address, transfer(alice(), owner(), 30)),
                (token.contract_address, transfer(alice(), zero(), 20)),
            ],
        );
}

#[test]
#[should_panic(expected: 'Cap exceeded')]
fn minting_beyond_the_cap_panics() {
    let token = deploy();
    start_cheat_caller_address(token.contract_address, owner());
    token.mint(alice(), CAP);
    token.mint(alice(), 1);
}

#[test]
#[should_panic(expected: 'Not the owner')]
fn only_the_owner_mints() {
    let token = deploy();
    start_cheat_caller_address(token.contract_address, alice());
    token.mint(alice(), 1);
}

#[test]
#[should_panic(expected: 'Insufficient balance')]
fn burning_more_than_the_balance_panics() {
    let token = deploy();
    start_cheat_caller_address(token.contract_address, alice());
    token.burn(1);
}
