#[cfg(test)]
mod tests {
    use starknet::syscalls::deploy_syscall;
    use starknet::testing::set_contract_address;
    use starknet::{ContractAddress, SyscallResultTrait};
    use super::{IProfilesDispatcher, IProfilesDispatcherTrait, Profile, Profiles};

    fn admin() -> ContractAddress {
        'admin'.try_into().unwrap()
    }

    fn alice() -> ContractAddress {
        'alice'.try_into().unwrap()
    }

    fn deploy() -> IProfilesDispatcher {
        let (address, _) = deploy_syscall(
            Profiles::TEST_CLASS_HASH, 0, array![admin().into()].span(), false,
        )
            .unwrap_syscall();
        IProfilesDispatcher { contract_address: address }
    }

    #[test]
    fn profiles_are_stored_as_structs() {
        let profiles = deploy();
        assert_eq!(profiles.profile(alice()), Profile { name: 0, age: 0, verified: false });
        set_contract_address(alice());
        profiles.set_profile('Alice', 30);
        assert_eq!(profiles.profile(alice()), Profile { name: 'Alice', age: 30, verified: false });
    }

    #[test]
    fn verification_and_renaming() {
        let profiles = deploy();
        set_contract_address(alice());
        profiles.set_profile('Alice', 30);
        set_contract_address(admin());
        profiles.verify(alice());
        profiles.verify(alice()); // twice counts once
        assert_eq!(profiles.verified_count(), 1);
        set_contract_address(alice());
        profiles.set_profile('Alice', 31); // same name: still verified
        assert_eq!(profiles.profile(alice()), Profile { name: 'Alice', age: 31, verified: true });
        profiles.set_profile('Alicia', 31); // new name: verification lost
        assert!(!profiles.profile(alice()).verified);
        assert_eq!(profiles.verified_count(), 0);
    }

    #[test]
    #[should_panic(expected: ('Not the admin', 'ENTRYPOINT_FAILED'))]
    fn only_the_admin_verifies() {
        let profiles = deploy();
        set_contract_address(alice());
        profiles.set_profile('Alice', 30);
        profiles.verify(alice());
    }

    #[test]
    #[should_panic(expected: ('No profile', 'ENTRYPOINT_FAILED'))]
    fn cannot_verify_a_missing_profile() {
        let profiles = deploy();
        set_contract_address(admin());
        profiles.verify(alice());
    }
}
