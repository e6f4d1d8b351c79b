use snforge_std::{
    ContractClassTrait, DeclareResultTrait, EventSpyAssertionsTrait, EventSpyTrait,
    EventsFilterTrait, declare, spy_events, start_cheat_caller_address,
};
use starknet::ContractAddress;

fn admin() -> ContractAddress {
    'admin'.try_into().unwrap()
}

fn minter() -> ContractAddress {
    'minter'.try_into().unwrap()
}

fn deploy() -> IRolesDispatcher {
    let class = declare("Roles").unwrap().contract_class();
    let (contract_address, _) = class.deploy(@array![admin().into()]).unwrap();
    IRolesDispatcher { contract_address }
}

fn granted(role: felt252, account: ContractAddress) -> Roles::Event {
    Roles::Event::RoleGranted(Roles::RoleGranted { role, account })
}

#[test]
fn the_admin_grants_and_revokes() {
    let roles = deploy();
    assert!(roles.has_role(ADMIN_ROLE, admin()));
    assert!(!roles.has_role(MINTER_ROLE, minter()));
    start_cheat_caller_address(roles.contract_address, admin());
    roles.grant_role(MINTER_ROLE, minter());
    assert!(roles.has_role(MINTER_ROLE, minter()));
    start_cheat_caller_address(roles.contract_address, minter());
    roles.mint(10);
    roles.mint(5);
    assert_eq!(roles.minted(), 15);
    start_cheat_caller_address(roles.contract_address, admin());
    roles.revoke_role(MINTER_ROLE, minter());
    assert!(!roles.has_role(MINTER_ROLE, minter()));
}

#[test]
fn grants_and_renounces_emit_events() {
    let mut spy = spy_events();
    let roles = deploy();
    let address = roles.contract_address;
    start_cheat_caller_address(address, admin());
    roles.grant_role(MINTER_ROLE, minter());
    start_cheat_caller_address(address, minter());
    roles.renounce_role(MINTER_ROLE);
    assert!(!roles.has_role(MINTER_ROLE, minter()));
    let revoked = Roles::Event::RoleRevoked(Roles::RoleRevoked { role: MINTER_ROLE, account: minter() });
    spy
        .assert_emitted(
            @array![
                (address, granted(ADMIN_ROLE, admin())), (address, granted(MINTER_ROLE, minter())),
                (address, revoked),
            ],
        );
    assert_eq!(spy.get_events().emitted_by(address).events.len(), 3);
}

// Events only on changes: a second grant of a held role emits nothing, so snforge's spy panics
// with its ByteArray message when the test asserts one.
#[test]
#[should_panic(expected: "Event with matching data and keys was not emitted")]
fn a_second_grant_emits_nothing() {
    let roles = deploy();
    start_cheat_caller_address(roles.contract_address, admin());
    roles.grant_role(MINTER_ROLE, minter());
    let mut spy = spy_events();
    roles.grant_role(MINTER_ROLE, minter());
    assert!(roles.has_role(MINTER_ROLE, minter()));
    spy.assert_emitted(@array![(roles.contract_address, granted(MINTER_ROLE, minter()))]);
}

#[test]
#[should_panic(expected: 'Missing role')]
fn minting_needs_the_minter_role() {
    let roles = deploy();
    start_cheat_caller_address(roles.contract_address, admin()); // the admin is not a minter
    roles.mint(1);
}

#[test]
#[should_panic(expected: 'Missing role')]
fn granting_needs_the_admin_role() {
    let roles = deploy();
    start_cheat_caller_address(roles.contract_address, minter());
    roles.grant_role(MINTER_ROLE, minter());
}
