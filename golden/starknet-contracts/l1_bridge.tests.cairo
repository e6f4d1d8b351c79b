#[cfg(test)]
mod tests {
    use starknet::syscalls::deploy_syscall;
    use starknet::testing::{pop_l2_to_l1_message, set_contract_address};
    use starknet::{ContractAddress, EthAddress, SyscallResultTrait, get_contract_address};
    use super::{IL1BridgeDispatcher, IL1BridgeDispatcherTrait, L1Bridge};

    const BRIDGE: felt252 = 0xb41d9e;

    fn alice() -> ContractAddress {
        'alice'.try_into().unwrap()
    }

    fn deploy() -> IL1BridgeDispatcher {
        let (address, _) = deploy_syscall(L1Bridge::TEST_CLASS_HASH, 0, array![BRIDGE].span(), false)
            .unwrap_syscall();
        IL1BridgeDispatcher { contract_address: address }
    }

    // A message from L1 reaches the l1_handler with the L1 sender first. The handler is called
    // directly, on the deployed contract's storage (the test runs as that contract).
    fn deliver(bridge: ContractAddress, from_address: felt252, user: ContractAddress, amount: u128) {
        let previous = get_contract_address();
        set_contract_address(bridge);
        let mut state = L1Bridge::contract_state_for_testing();
        L1Bridge::deposit(ref state, from_address, user, amount);
        set_contract_address(previous);
    }

    #[test]
    fn deposits_from_the_bridge_are_credited() {
        let bridge = deploy();
        deliver(bridge.contract_address, BRIDGE, alice(), 500);
        deliver(bridge.contract_address, BRIDGE, alice(), 20);
        assert_eq!(bridge.balance_of(alice()), 520);
        let expected: EthAddress = BRIDGE.try_into().unwrap();
        assert_eq!(bridge.l1_bridge(), expected);
    }

    #[test]
    #[should_panic(expected: ('Unknown L1 sender',))]
    fn deposits_from_elsewhere_are_refused() {
        let bridge = deploy();
        deliver(bridge.contract_address, 0xbad, alice(), 500);
    }

    #[test]
    fn withdrawals_send_a_message_to_l1() {
        let bridge = deploy();
        deliver(bridge.contract_address, BRIDGE, alice(), 500);
        set_contract_address(alice());
        let recipient: EthAddress = 0x1234.try_into().unwrap();
        bridge.withdraw_to_l1(recipient, 200);
        assert_eq!(bridge.balance_of(alice()), 300);
        let (to, payload) = pop_l2_to_l1_message(bridge.contract_address).expect('no message sent');
        assert_eq!(to, BRIDGE);
        assert_eq!(payload, array![0x1234, 200].span());
    }

    #[test]
    #[should_panic(expected: ('Insufficient balance', 'ENTRYPOINT_FAILED'))]
    fn cannot_withdraw_more_than_deposited() {
        let bridge = deploy();
        set_contract_address(alice());
        bridge.withdraw_to_l1(0x1234.try_into().unwrap(), 1);
    }
}
