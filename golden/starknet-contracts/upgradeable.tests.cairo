// The next version of the counter, with the same storage and interface: version() says 2 and
// increase() adds 10. Upgrading to it must keep the stored count.
#[starknet::contract]
mod CounterV2 {
    use starknet::storage::{StoragePointerReadAccess, StoragePointerWriteAccess};
    use starknet::{ClassHash, ContractAddress};

    #[storage]
    struct Storage {
        owner: ContractAddress,
        count: u64,
    }

    #[abi(embed_v0)]
    impl CounterV2Impl of super::IUpgradeableCounter<ContractState> {
        fn increase(ref self: ContractState) {
            self.count.write(self.count.read() + 10);
        }

        fn get(self: @ContractState) -> u64 {
            self.count.read()
        }

        fn version(self: @ContractState) -> felt252 {
            2
        }

        fn owner(self: @ContractState) -> ContractAddress {
            self.owner.read()
        }

        fn upgrade(ref self: ContractState, new_class_hash: ClassHash) {}
    }
}

#[cfg(test)]
mod tests {
    use starknet::syscalls::deploy_syscall;
    use starknet::testing::{pop_log_raw, set_contract_address};
    use starknet::{ClassHash, ContractAddress, SyscallResultTrait};
    use super::{CounterV2, IUpgradeableCounterDispatcher, IUpgradeableCounterDispatcherTrait, UpgradeableCounter};

    fn owner() -> ContractAddress {
        'owner'.try_into().unwrap()
    }

    fn deploy() -> IUpgradeableCounterDispatcher {
        let (address, _) = deploy_syscall(
            UpgradeableCounter::TEST_CLASS_HASH, 0, array![owner().into()].span(), false,
        )
            .unwrap_syscall();
        IUpgradeableCounterDispatcher { contract_address: address }
    }

    #[test]
    fn upgrade_keeps_storage_and_changes_code() {
        let counter = deploy();
        counter.increase();
        counter.increase();
        assert_eq!(counter.version(), 1);
        set_contract_address(owner());
        counter.upgrade(CounterV2::TEST_CLASS_HASH);
        assert_eq!(counter.version(), 2);
        assert_eq!(counter.get(), 2);
        counter.increase();
        assert_eq!(counter.get(), 12);
        assert_eq!(counter.owner(), owner());
    }

    #[test]
    fn upgrade_emits_upgraded() {
        let counter = deploy();
        set_contract_address(owner());
        counter.upgrade(CounterV2::TEST_CLASS_HASH);
        let (keys, data) = pop_log_raw(counter.contract_address).expect('no event emitted');
        let mut expected_keys = array![];
        let mut expected_data = array![];
        let event = UpgradeableCounter::Event::Upgraded(
            UpgradeableCounter::Upgraded { class_hash: CounterV2::TEST_CLASS_HASH },
        );
        starknet::Event::append_keys_and_data(@event, ref expected_keys, ref expected_data);
        assert(keys == expected_keys.span(), 'event keys differ');
        assert(data == expected_data.span(), 'event data differ');
    }

    #[test]
    #[should_panic(expected: ('Not the owner', 'ENTRYPOINT_FAILED'))]
    fn only_the_owner_upgrades() {
        let counter = deploy();
        set_contract_address('mallory'.try_into().unwrap());
        counter.upgrade(CounterV2::TEST_CLASS_HASH);
    }

    #[test]
    #[should_panic(expected: ('Class hash cannot be zero', 'ENTRYPOINT_FAILED'))]
    fn zero_class_hash_rejected() {
        let counter = deploy();
        set_contract_address(owner());
        let zero: ClassHash = 0.try_into().unwrap();
        counter.upgrade(zero);
    }
}
