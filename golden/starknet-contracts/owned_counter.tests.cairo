#[cfg(test)]
mod tests {
    use starknet::ContractAddress;
    use starknet::SyscallResultTrait;
    use starknet::syscalls::deploy_syscall;
    use starknet::testing::set_contract_address;
    use super::{IOwnedCounterDispatcher, IOwnedCounterDispatcherTrait, OwnedCounter};

    fn owner() -> ContractAddress {
        0x123.try_into().unwrap()
    }

    fn stranger() -> ContractAddress {
        0x456.try_into().unwrap()
    }

    // Deploys the contract for real: the constructor runs and the ABI is what the tests call.
    fn deploy() -> IOwnedCounterDispatcher {
        let (address, _) = deploy_syscall(
            OwnedCounter::TEST_CLASS_HASH, 0, array![owner().into()].span(), false,
        )
            .unwrap_syscall();
        IOwnedCounterDispatcher { contract_address: address }
    }

    #[test]
    fn owner_can_increase() {
        let counter = deploy();
        assert_eq!(counter.owner(), owner());
        assert_eq!(counter.get(), 0);
        set_contract_address(owner()); // the caller the contract sees
        counter.increase(5);
        counter.increase(2);
        assert_eq!(counter.get(), 7);
    }

    #[test]
    #[should_panic(expected: ('Caller is not the owner', 'ENTRYPOINT_FAILED'))]
    fn stranger_cannot_increase() {
        let counter = deploy();
        set_contract_address(stranger());
        counter.increase(1);
    }

    #[test]
    fn transfer_moves_rights() {
        let counter = deploy();
        set_contract_address(owner());
        counter.increase(1);
        counter.transfer_ownership(stranger());
        assert_eq!(counter.owner(), stranger());
        set_contract_address(stranger());
        counter.increase(3);
        assert_eq!(counter.get(), 4);
    }

    #[test]
    #[should_panic(expected: ('Caller is not the owner', 'ENTRYPOINT_FAILED'))]
    fn stranger_cannot_transfer_ownership() {
        let counter = deploy();
        set_contract_address(stranger());
        counter.transfer_ownership(stranger());
    }
}
