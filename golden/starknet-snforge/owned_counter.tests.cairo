use snforge_std::{
    ContractClassTrait, DeclareResultTrait, declare, start_cheat_caller_address,
    stop_cheat_caller_address,
};
use starknet::ContractAddress;

fn owner() -> ContractAddress {
    'owner'.try_into().unwrap()
}

fn stranger() -> ContractAddress {
    'stranger'.try_into().unwrap()
}

fn deploy() -> IOwnedCounterDispatcher {
    let class = declare("OwnedCounter").unwrap().contract_class();
    let (contract_address, _) = class.deploy(@array![owner().into()]).unwrap();
    IOwnedCounterDispatcher { contract_address }
}

#[test]
fn the_constructor_stores_the_owner() {
    let counter = deploy();
    assert_eq!(counter.owner(), owner());
    assert_eq!(counter.get(), 0);
}

#[test]
fn the_owner_increases() {
    let counter = deploy();
    start_cheat_caller_address(counter.contract_address, owner());
    counter.increase(5);
    counter.increase(2);
    stop_cheat_caller_address(counter.contract_address);
    assert_eq!(counter.get(), 7);
}

#[test]
#[should_panic(expected: 'Caller is not the owner')]
fn a_stranger_cannot_increase() {
    let counter = deploy();
    start_cheat_caller_address(counter.contract_address, stranger());
    counter.increase(1);
}

#[test]
fn transfer_moves_the_rights() {
    let counter = deploy();
    start_cheat_caller_address(counter.contract_address, owner());
    counter.increase(1);
    counter.transfer_ownership(stranger());
    assert_eq!(counter.owner(), stranger());
    start_cheat_caller_address(counter.contract_address, stranger());
    counter.increase(3);
    assert_eq!(counter.get(), 4);
}

#[test]
#[should_panic(expected: 'Caller is not the owner')]
fn the_old_owner_loses_the_rights() {
    let counter = deploy();
    start_cheat_caller_address(counter.contract_address, owner());
    counter.transfer_ownership(stranger());
    counter.increase(1);
}

#[test]
#[should_panic(expected: 'Caller is not the owner')]
fn a_stranger_cannot_transfer_ownership() {
    let counter = deploy();
    start_cheat_caller_address(counter.contract_address, stranger());
    counter.transfer_ownership(stranger());
}
