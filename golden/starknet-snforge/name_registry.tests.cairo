use snforge_std::{ContractClassTrait, DeclareResultTrait, declare, start_cheat_caller_address};
use starknet::ContractAddress;

fn user(n: felt252) -> ContractAddress {
    n.try_into().unwrap()
}

fn deploy() -> INameRegistryDispatcher {
    let class = declare("NameRegistry").unwrap().contract_class();
    let (contract_address, _) = class.deploy(@array![]).unwrap();
    INameRegistryDispatcher { contract_address }
}

fn call_as(registry: INameRegistryDispatcher, n: felt252) {
    start_cheat_caller_address(registry.contract_address, user(n));
}

#[test]
fn names_resolve_both_ways() {
    let registry = deploy();
    call_as(registry, 1);
    registry.register('alice');
    call_as(registry, 2);
    registry.register('bob');
    assert_eq!(registry.name_of(user(1)), 'alice');
    assert_eq!(registry.owner_of('bob'), user(2));
    assert_eq!(registry.owner_of('carol'), 0.try_into().unwrap());
    assert_eq!(registry.name_of(user(3)), 0);
    assert_eq!(registry.registered_count(), 2);
}

#[test]
fn release_frees_the_name() {
    let registry = deploy();
    call_as(registry, 1);
    registry.register('alice');
    registry.release();
    assert_eq!(registry.name_of(user(1)), 0);
    assert_eq!(registry.registered_count(), 0);
    call_as(registry, 2);
    registry.register('alice');
    assert_eq!(registry.owner_of('alice'), user(2));
    assert_eq!(registry.registered_count(), 1);
}

#[test]
#[should_panic(expected: 'Name taken')]
fn names_are_unique() {
    let registry = deploy();
    call_as(registry, 1);
    registry.register('alice');
    call_as(registry, 2);
    registry.register('alice');
}

#[test]
#[should_panic(expected: 'Already has a name')]
fn one_name_per_address() {
    let registry = deploy();
    call_as(registry, 1);
    registry.register('alice');
    registry.register('alice2');
}

#[test]
#[should_panic(expected: 'Empty name')]
fn the_empty_name_is_refused() {
    let registry = deploy();
    call_as(registry, 1);
    registry.register(0);
}

#[test]
#[should_panic(expected: 'No name')]
fn release_without_a_name() {
    let registry = deploy();
    call_as(registry, 3);
    registry.release();
}
