use starknet::syscalls::deploy_syscall;
use starknet::{ContractAddress, SyscallResultTrait};

fn deploy(class_hash: starknet::ClassHash, calldata: Array<felt252>) -> ContractAddress {
    let (address, _) = deploy_syscall(class_hash, 0, calldata.span(), false).unwrap_syscall();
    address
}

fn setup() -> (IFragileVaultDispatcher, IWithdrawerDispatcher) {
    let vault = deploy(FragileVault::TEST_CLASS_HASH, array![100]);
    let withdrawer = deploy(Withdrawer::TEST_CLASS_HASH, array![]);
    (IFragileVaultDispatcher { contract_address: vault }, IWithdrawerDispatcher { contract_address: withdrawer })
}

#[test]
fn successful_calls_go_through() {
    let (vault, withdrawer) = setup();
    assert!(withdrawer.try_withdraw(vault.contract_address, 30));
    assert_eq!(vault.balance(), 70);
    assert_eq!(withdrawer.failures(), 0);
}

#[test]
fn failures_are_caught_and_counted() {
    let (vault, withdrawer) = setup();
    assert!(!withdrawer.try_withdraw(vault.contract_address, 101));
    assert_eq!(vault.balance(), 100);
    assert_eq!(withdrawer.failures(), 1);
    assert_eq!(withdrawer.last_error(), 'Insufficient funds');
    assert!(withdrawer.try_withdraw(vault.contract_address, 100));
    assert!(!withdrawer.try_withdraw(vault.contract_address, 1));
    assert_eq!(withdrawer.failures(), 2);
}

#[test]
#[should_panic(expected: ('Insufficient funds', 'ENTRYPOINT_FAILED'))]
fn the_plain_dispatcher_propagates() {
    let (vault, _) = setup();
    vault.withdraw(500);
}
