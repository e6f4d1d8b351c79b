#[cfg(test)]
mod tests {
    use starknet::ContractAddress;
    use starknet::SyscallResultTrait;
    use starknet::syscalls::deploy_syscall;
    use starknet::testing::{pop_log_raw, set_contract_address};
    use super::{ISimpleTokenDispatcher, ISimpleTokenDispatcherTrait, SimpleToken};

    const SUPPLY: u256 = 1000000000000000000000000000000000000000; // > 2^128

    fn alice() -> ContractAddress {
        0xa11ce.try_into().unwrap()
    }

    fn bob() -> ContractAddress {
        0xb0b.try_into().unwrap()
    }

    fn carol() -> ContractAddress {
        0xca201.try_into().unwrap()
    }

    fn zero() -> ContractAddress {
        0.try_into().unwrap()
    }

    fn deploy() -> ISimpleTokenDispatcher {
        let mut calldata = array![alice().into()];
        Serde::serialize(@SUPPLY, ref calldata);
        let (address, _) = deploy_syscall(SimpleToken::TEST_CLASS_HASH, 0, calldata.span(), false)
            .unwrap_syscall();
        ISimpleTokenDispatcher { contract_address: address }
    }

    fn transfer_event(from: ContractAddress, to: ContractAddress, value: u256) -> SimpleToken::Event {
        SimpleToken::Event::Transfer(SimpleToken::Transfer { from, to, value })
    }

    // Pops the token's oldest event and compares it with the serialization of `expected` (built
    // from the answer's own event types).
    fn assert_next_event(token: ContractAddress, expected: SimpleToken::Event) {
        let (keys, data) = pop_log_raw(token).expect('no event emitted');
        let mut expected_keys: Array<felt252> = array![];
        let mut expected_data: Array<felt252> = array![];
        starknet::Event::append_keys_and_data(@expected, ref expected_keys, ref expected_data);
        assert(keys == expected_keys.span(), 'event keys differ');
        assert(data == expected_data.span(), 'event data differ');
    }

    #[test]
    fn constructor_mints_to_recipient() {
        let token = deploy();
        assert_eq!(token.total_supply(), SUPPLY);
        assert_eq!(token.balance_of(alice()), SUPPLY);
        assert_eq!(token.balance_of(bob()), 0);
        assert_next_event(token.contract_address, transfer_event(zero(), alice(), SUPPLY));
        assert(pop_log_raw(token.contract_address).is_none(), 'unexpected extra event');
    }

    #[test]
    fn transfer_moves_balance_and_emits() {
        let token = deploy();
        set_contract_address(alice());
        assert!(token.transfer(bob(), 250));
        set_contract_address(bob());
        assert!(token.transfer(carol(), 50));
        assert_eq!(token.balance_of(alice()), SUPPLY - 250);
        assert_eq!(token.balance_of(bob()), 200);
        assert_eq!(token.balance_of(carol()), 50);
        assert_eq!(token.total_supply(), SUPPLY);
        assert_next_event(token.contract_address, transfer_event(zero(), alice(), SUPPLY));
        assert_next_event(token.contract_address, transfer_event(alice(), bob(), 250));
        assert_next_event(token.contract_address, transfer_event(bob(), carol(), 50));
    }

    #[test]
    #[should_panic(expected: ('Insufficient balance', 'ENTRYPOINT_FAILED'))]
    fn transfer_more_than_balance_panics() {
        let token = deploy();
        set_contract_address(bob());
        token.transfer(carol(), 1);
    }

    #[test]
    fn approve_and_transfer_from() {
        let token = deploy();
        set_contract_address(alice());
        assert!(token.approve(bob(), 100));
        assert_eq!(token.allowance(alice(), bob()), 100);
        assert_eq!(token.allowance(bob(), alice()), 0);
        set_contract_address(bob());
        assert!(token.transfer_from(alice(), carol(), 60));
        assert_eq!(token.allowance(alice(), bob()), 40);
        assert_eq!(token.balance_of(carol()), 60);
        assert_eq!(token.balance_of(alice()), SUPPLY - 60);
        assert_eq!(token.balance_of(bob()), 0);
        assert_next_event(token.contract_address, transfer_event(zero(), alice(), SUPPLY));
        assert_next_event(
            token.contract_address,
            SimpleToken::Event::Approval(SimpleToken::Approval { owner: alice(), spender: bob(), value: 100 }),
        );
        assert_next_event(token.contract_address, transfer_event(alice(), carol(), 60));
        assert(pop_log_raw(token.contract_address).is_none(), 'unexpected extra event');
    }

    #[test]
    #[should_panic(expected: ('Insufficient allowance', 'ENTRYPOINT_FAILED'))]
    fn transfer_from_beyond_allowance_panics() {
        let token = deploy();
        set_contract_address(alice());
        token.approve(bob(), 10);
        set_contract_address(bob());
        token.transfer_from(alice(), carol(), 11);
    }
}
