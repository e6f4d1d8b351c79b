use starknet::syscalls::deploy_syscall;
use starknet::testing::{pop_log_raw, set_contract_address};
use starknet::{ContractAddress, SyscallResultTrait};

fn owner() -> ContractAddress {
    'owner'.try_into().unwrap()
}

fn other() -> ContractAddress {
    'other'.try_into().unwrap()
}

fn deploy() -> ContractAddress {
    let (address, _) = deploy_syscall(OwnedVault::TEST_CLASS_HASH, 0, array![owner().into()].span(), false)
        .unwrap_syscall();
    address
}

fn assert_next_event(contract: ContractAddress, expected: OwnedVault::Event) {
    let (keys, data) = pop_log_raw(contract).expect('no event emitted');
    let mut expected_keys = array![];
    let mut expected_data = array![];
    starknet::Event::append_keys_and_data(@expected, ref expected_keys, ref expected_data);
    assert(keys == expected_keys.span(), 'event keys differ');
    assert(data == expected_data.span(), 'event data differ');
}

fn transferred(previous_owner: ContractAddress, new_owner: ContractAddress) -> OwnedVault::Event {
    OwnedVault::Event::OwnableEvent(
        OwnableComponent::Event::OwnershipTransferred(
            OwnableComponent::OwnershipTransferred { previous_owner, new_owner },
        ),
    )
}

#[test]
fn the_component_owns_the_vault() {
    let address = deploy();
    let ownable = IOwnableDispatcher { contract_address: address };
    let vault = IVaultDispatcher { contract_address: address };
    assert_eq!(ownable.owner(), owner());
    set_contract_address(other());
    vault.deposit(40);
    vault.deposit(2);
    set_contract_address(owner());
    assert_eq!(vault.withdraw_all(), 42);
    assert_eq!(vault.balance(), 0);
}

#[test]
fn ownership_moves_and_emits_flat_events() {
    let address = deploy();
    let ownable = IOwnableDispatcher { contract_address: address };
    set_contract_address(owner());
    ownable.transfer_ownership(other());
    assert_eq!(ownable.owner(), other());
    assert_next_event(address, transferred(0.try_into().unwrap(), owner()));
    assert_next_event(address, transferred(owner(), other()));
    set_contract_address(other());
    IVaultDispatcher { contract_address: address }.withdraw_all();
}

#[test]
#[should_panic(expected: ('Caller is not the owner', 'ENTRYPOINT_FAILED'))]
fn strangers_cannot_withdraw() {
    let vault = IVaultDispatcher { contract_address: deploy() };
    set_contract_address(other());
    vault.withdraw_all();
}

#[test]
#[should_panic(expected: ('Caller is not the owner', 'ENTRYPOINT_FAILED'))]
fn strangers_cannot_take_ownership() {
    let ownable = IOwnableDispatcher { contract_address: deploy() };
    set_contract_address(other());
    ownable.transfer_ownership(other());
}
