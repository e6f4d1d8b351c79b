#[cfg(test)]
mod tests {
    use starknet::syscalls::deploy_syscall;
    use starknet::testing::{set_block_timestamp, set_contract_address};
    use starknet::{ContractAddress, SyscallResultTrait};
    use super::{ITimelockVaultDispatcher, ITimelockVaultDispatcherTrait, TimelockVault};

    fn alice() -> ContractAddress {
        'alice'.try_into().unwrap()
    }

    fn deploy() -> ITimelockVaultDispatcher {
        let (address, _) = deploy_syscall(TimelockVault::TEST_CLASS_HASH, 0, array![].span(), false)
            .unwrap_syscall();
        set_contract_address(alice());
        ITimelockVaultDispatcher { contract_address: address }
    }

    #[test]
    fn withdraw_after_the_unlock_time() {
        let vault = deploy();
        set_block_timestamp(1000);
        vault.lock(50, 100);
        assert_eq!(vault.unlock_time(alice()), 1100);
        set_block_timestamp(1100);
        assert_eq!(vault.withdraw(), 50);
        assert_eq!(vault.locked_amount(alice()), 0);
    }

    #[test]
    fn relocking_never_shortens() {
        let vault = deploy();
        set_block_timestamp(1000);
        vault.lock(10, 500); // until 1500
        set_block_timestamp(1200);
        vault.lock(5, 100); // until 1300: the 1500 stays
        assert_eq!(vault.unlock_time(alice()), 1500);
        assert_eq!(vault.locked_amount(alice()), 15);
        vault.lock(1, 400); // until 1600
        assert_eq!(vault.unlock_time(alice()), 1600);
    }

    #[test]
    #[should_panic(expected: ('Still locked', 'ENTRYPOINT_FAILED'))]
    fn early_withdrawal_panics() {
        let vault = deploy();
        set_block_timestamp(1000);
        vault.lock(50, 100);
        set_block_timestamp(1099);
        vault.withdraw();
    }

    #[test]
    #[should_panic(expected: ('Nothing locked', 'ENTRYPOINT_FAILED'))]
    fn nothing_to_withdraw() {
        deploy().withdraw();
    }
}
