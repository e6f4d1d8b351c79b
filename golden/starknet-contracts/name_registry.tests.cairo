use starknet::syscalls::deploy_syscall;
use starknet::testing::set_contract_address;
use starknet::{ContractAddress, SyscallResultTrait};

fn user(n: felt252) -> ContractAddress {
    n.try_into().unwrap()
}

fn deploy() -> INameRegistryDispatcher {
    let (address, _) = deploy_syscall(NameRegistry::TEST_CLASS_HASH, 0, array![].span(), false)
        .unwrap_syscall();
    INameRegistryDispatcher { contract_address: address }
}

#[test]
fn register_both_ways() {
    let registry = deploy();
    set_contract_address(user(1));
    registry.register('alice');
    set_contract_address(user(2));
    registry.register('bob');
    assert_eq!(registry.name_of(user(1)), 'alice');
    assert_eq!(registry.owner_of('bob'), user(2));
    assert_eq!(registry.owner_of('carol'), 0.try_into().unwrap());
    assert_eq!(registry.registered_count(), 2);
}

#[test]
fn release_frees_the_name() {
    let registry = deploy();
    set_contract_address(user(1));
    registry.register('alice');
    registry.release();
    assert_eq!(registry.name_of(user(1)), 0);
    assert_eq!(registry.registered_count(), 0);
    set_contract_address(user(2));
    registry.register('alice');
    assert_eq!(registry.owner_of('alice'), user(2));
}

#[test]
#[should_panic(expected: ('Name taken', 'ENTRYPOINT_FAILED'))]
fn names_are_unique() {
    let registry = deploy();
    set_contract_address(user(1));
    registry.register('alice');
    set_contract_address(user(2));
    registry.register('alice');
}

#[test]
#[should_panic(expected: ('Already has a name', 'ENTRYPOINT_FAILED'))]
fn one_name_per_address() {
    let registry = deploy();
    set_contract_address(user(1));
    registry.register('alice');
    registry.register('alice2');
}

#[test]
#[should_panic(expected: ('No name', 'ENTRYPOINT_FAILED'))]
fn release_without_a_name() {
    let registry = deploy();
    set_contract_address(user(3));
    registry.release();
}
