#[cfg(test)]
mod tests {
    use starknet::syscalls::deploy_syscall;
    use starknet::testing::{pop_log_raw, set_contract_address};
    use starknet::{ContractAddress, SyscallResultTrait};
    use super::{
        ICounterAdminDispatcher, ICounterAdminDispatcherTrait, IPausableDispatcher,
        IPausableDispatcherTrait, PausableComponent, PausableCounter,
    };

    fn admin() -> ContractAddress {
        'admin'.try_into().unwrap()
    }

    fn deploy() -> ContractAddress {
        let (address, _) = deploy_syscall(
            PausableCounter::TEST_CLASS_HASH, 0, array![admin().into()].span(), false,
        )
            .unwrap_syscall();
        address
    }

    #[test]
    fn pausing_stops_increments() {
        let address = deploy();
        let counter = ICounterAdminDispatcher { contract_address: address };
        let pausable = IPausableDispatcher { contract_address: address };
        counter.increment();
        set_contract_address(admin());
        counter.pause();
        assert!(pausable.is_paused());
        counter.unpause();
        assert!(!pausable.is_paused());
        counter.increment();
        assert_eq!(counter.count(), 2);
    }

    #[test]
    fn pause_events_are_flat() {
        let address = deploy();
        let counter = ICounterAdminDispatcher { contract_address: address };
        set_contract_address(admin());
        counter.pause();
        let (keys, data) = pop_log_raw(address).expect('no event emitted');
        let mut expected_keys = array![];
        let mut expected_data = array![];
        let event = PausableCounter::Event::PausableEvent(PausableComponent::Event::Paused(PausableComponent::Paused {}));
        starknet::Event::append_keys_and_data(@event, ref expected_keys, ref expected_data);
        assert(keys == expected_keys.span(), 'event keys differ');
        assert(data == expected_data.span(), 'event data differ');
    }

    #[test]
    #[should_panic(expected: ('Paused', 'ENTRYPOINT_FAILED'))]
    fn increment_while_paused_panics() {
        let counter = ICounterAdminDispatcher { contract_address: deploy() };
        set_contract_address(admin());
        counter.pause();
        counter.increment();
    }

    #[test]
    #[should_panic(expected: ('Not the admin', 'ENTRYPOINT_FAILED'))]
    fn only_the_admin_pauses() {
        let counter = ICounterAdminDispatcher { contract_address: deploy() };
        counter.pause();
    }

    #[test]
    #[should_panic(expected: ('Not paused', 'ENTRYPOINT_FAILED'))]
    fn unpause_needs_a_pause() {
        let counter = ICounterAdminDispatcher { contract_address: deploy() };
        set_contract_address(admin());
        counter.unpause();
    }
}
