#[cfg(test)]
mod tests {
    use starknet::syscalls::deploy_syscall;
    use starknet::testing::set_contract_address;
    use starknet::{ContractAddress, SyscallResultTrait};
    use super::{Child, Factory, IChildDispatcher, IChildDispatcherTrait, IFactoryDispatcher, IFactoryDispatcherTrait};

    fn deploy_factory() -> IFactoryDispatcher {
        let (address, _) = deploy_syscall(
            Factory::TEST_CLASS_HASH, 0, array![Child::TEST_CLASS_HASH.into()].span(), false,
        )
            .unwrap_syscall();
        IFactoryDispatcher { contract_address: address }
    }

    fn alice() -> ContractAddress {
        'alice'.try_into().unwrap()
    }

    #[test]
    fn creates_children_with_their_own_addresses() {
        let factory = deploy_factory();
        assert_eq!(factory.child_class_hash(), Child::TEST_CLASS_HASH);
        set_contract_address(alice());
        let first = factory.create('first');
        let second = factory.create('second');
        assert_ne!(first, second);
        assert_eq!(factory.child_count(), 2);
        assert_eq!(factory.child(0), first);
        assert_eq!(factory.child(1), second);
    }

    #[test]
    fn children_are_initialised() {
        let factory = deploy_factory();
        set_contract_address(alice());
        let child = IChildDispatcher { contract_address: factory.create('kid') };
        assert_eq!(child.owner(), alice());
        assert_eq!(child.label(), 'kid');
    }

    #[test]
    #[should_panic(expected: ('No such child', 'ENTRYPOINT_FAILED'))]
    fn unknown_child() {
        deploy_factory().child(0);
    }
}
