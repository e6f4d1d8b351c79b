use snforge_std::{
    ContractClassTrait, DeclareResultTrait, declare, start_cheat_block_timestamp,
    start_cheat_caller_address,
};
use starknet::ContractAddress;

fn alice() -> ContractAddress {
    'alice'.try_into().unwrap()
}

fn deploy() -> ITimelockVaultDispatcher {
    let class = declare("TimelockVault").unwrap().contract_class();
    let (contract_address, _) = class.deploy(@array![]).unwrap();
    start_cheat_caller_address(contract_address, alice());
    ITimelockVaultDispatcher { contract_address }
}

fn at_time(vault: ITimelockVaultDispatcher, timestamp: u64) {
    start_cheat_block_timestamp(vault.contract_address, timestamp);
}

#[test]
fn withdraw_at_the_unlock_time() {
    let vault = deploy();
    at_time(vault, 1000);
    vault.lock(50, 100);
    assert_eq!(vault.locked_amount(alice()), 50);
    assert_eq!(vault.unlock_time(alice()), 1100);
    at_time(vault, 1100);
    assert_eq!(vault.withdraw(), 50);
    assert_eq!(vault.locked_amount(alice()), 0);
}

#[test]
fn relocking_never_shortens_the_lock() {
    let vault = deploy();
    at_time(vault, 1000);
    vault.lock(10, 500); // until 1500
    at_time(vault, 1200);
    vault.lock(5, 100); // until 1300: the 1500 stays
    assert_eq!(vault.unlock_time(alice()), 1500);
    assert_eq!(vault.locked_amount(alice()), 15);
    vault.lock(1, 400); // until 1600
    assert_eq!(vault.unlock_time(alice()), 1600);
}

#[test]
#[should_panic(expected: 'Still locked')]
fn an_early_withdrawal_panics() {
    let vault = deploy();
    at_time(vault, 1000);
    vault.lock(50, 100);
    at_time(vault, 1099);
    vault.withdraw();
}

#[test]
#[should_panic(expected: 'Nothing locked')]
fn nothing_to_withdraw() {
    deploy().withdraw();
}

#[test]
#[should_panic(expected: 'Nothing to lock')]
fn locking_nothing_panics() {
    deploy().lock(0, 100);
}
