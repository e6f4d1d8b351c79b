#[cfg(test)]
mod tests {
    use starknet::syscalls::deploy_syscall;
    use starknet::testing::{pop_log_raw, set_contract_address};
    use starknet::{ContractAddress, SyscallResultTrait};
    use super::{ADMIN_ROLE, IRolesDispatcher, IRolesDispatcherTrait, MINTER_ROLE, Roles};

    fn admin() -> ContractAddress {
        'admin'.try_into().unwrap()
    }

    fn minter() -> ContractAddress {
        'minter'.try_into().unwrap()
    }

    fn deploy() -> IRolesDispatcher {
        let (address, _) = deploy_syscall(Roles::TEST_CLASS_HASH, 0, array![admin().into()].span(), false)
            .unwrap_syscall();
        IRolesDispatcher { contract_address: address }
    }

    fn assert_next_event(contract: ContractAddress, expected: Roles::Event) {
        let (keys, data) = pop_log_raw(contract).expect('no event emitted');
        let mut expected_keys = array![];
        let mut expected_data = array![];
        starknet::Event::append_keys_and_data(@expected, ref expected_keys, ref expected_data);
        assert(keys == expected_keys.span(), 'event keys differ');
        assert(data == expected_data.span(), 'event data differ');
    }

    #[test]
    fn admin_grants_and_revokes() {
        let roles = deploy();
        assert!(roles.has_role(ADMIN_ROLE, admin()));
        set_contract_address(admin());
        roles.grant_role(MINTER_ROLE, minter());
        assert!(roles.has_role(MINTER_ROLE, minter()));
        set_contract_address(minter());
        roles.mint(10);
        roles.mint(5);
        assert_eq!(roles.minted(), 15);
        set_contract_address(admin());
        roles.revoke_role(MINTER_ROLE, minter());
        assert!(!roles.has_role(MINTER_ROLE, minter()));
    }

    #[test]
    fn events_only_on_changes() {
        let roles = deploy();
        let address = roles.contract_address;
        assert_next_event(address, Roles::Event::RoleGranted(Roles::RoleGranted { role: ADMIN_ROLE, account: admin() }));
        set_contract_address(admin());
        roles.grant_role(MINTER_ROLE, minter());
        roles.grant_role(MINTER_ROLE, minter()); // already granted: no event
        set_contract_address(minter());
        roles.renounce_role(MINTER_ROLE);
        assert_next_event(address, Roles::Event::RoleGranted(Roles::RoleGranted { role: MINTER_ROLE, account: minter() }));
        assert_next_event(address, Roles::Event::RoleRevoked(Roles::RoleRevoked { role: MINTER_ROLE, account: minter() }));
        assert(pop_log_raw(address).is_none(), 'unexpected extra event');
    }

    #[test]
    #[should_panic(expected: ('Missing role', 'ENTRYPOINT_FAILED'))]
    fn minting_needs_the_minter_role() {
        let roles = deploy();
        set_contract_address(admin()); // admin is not a minter
        roles.mint(1);
    }

    #[test]
    #[should_panic(expected: ('Missing role', 'ENTRYPOINT_FAILED'))]
    fn granting_needs_the_admin_role() {
        let roles = deploy();
        set_contract_address(minter());
        roles.grant_role(MINTER_ROLE, minter());
    }
}
