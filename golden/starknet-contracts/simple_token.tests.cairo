#[cfg(test)]
mod tests {
    use super::{SimpleToken, ISimpleToken};
    use starknet::{ContractAddress, contract_address_const};
    use starknet::testing::{set_caller_address, pop_log_raw};

    const SUPPLY: u256 = 1000000000000000000000000000000000000000; // > 2^128

    fn alice() -> ContractAddress {
        contract_address_const::<0xa11ce>()
    }

    fn bob() -> ContractAddress {
        contract_address_const::<0xb0b>()
    }

    fn carol() -> ContractAddress {
        contract_address_const::<0xca201>()
    }

    fn zero() -> ContractAddress {
        contract_address_const::<0>()
    }

    fn transfer_event(from: ContractAddress, to: ContractAddress, value: u256) -> SimpleToken::Event {
        SimpleToken::Event::Transfer(SimpleToken::Transfer { from, to, value })
    }

    // Pops the oldest event of the contract under test and compares it with the serialization of
    // `expected` (built from the answer's own event types).
    fn assert_next_event(expected: SimpleToken::Event) {
        let (keys, data) = pop_log_raw(starknet::get_contract_address()).expect('no event emitted');
        let mut expected_keys: Array<felt252> = array![];
        let mut expected_data: Array<felt252> = array![];
        starknet::Event::append_keys_and_data(@expected, ref expected_keys, ref expected_data);
        assert(keys == expected_keys.span(), 'event keys differ');
        assert(data == expected_data.span(), 'event data differ');
    }

    fn deploy() -> SimpleToken::ContractState {
        let mut state = SimpleToken::contract_state_for_testing();
        SimpleToken::constructor(ref state, alice(), SUPPLY);
        state
    }

    #[test]
    fn constructor_mints_to_recipient() {
        let state = deploy();
        assert_eq!(ISimpleToken::total_supply(@state), SUPPLY);
        assert_eq!(ISimpleToken::balance_of(@state, alice()), SUPPLY);
        assert_eq!(ISimpleToken::balance_of(@state, bob()), 0);
        assert_next_event(transfer_event(zero(), alice(), SUPPLY));
        assert(pop_log_raw(starknet::get_contract_address()).is_none(), 'unexpected extra event');
    }

    #[test]
    fn transfer_moves_balance_and_emits() {
        let mut state = deploy();
        set_caller_address(alice());
        assert!(ISimpleToken::transfer(ref state, bob(), 250));
        set_caller_address(bob());
        assert!(ISimpleToken::transfer(ref state, carol(), 50));
        assert_eq!(ISimpleToken::balance_of(@state, alice()), SUPPLY - 250);
        assert_eq!(ISimpleToken::balance_of(@state, bob()), 200);
        assert_eq!(ISimpleToken::balance_of(@state, carol()), 50);
        assert_eq!(ISimpleToken::total_supply(@state), SUPPLY);
        assert_next_event(transfer_event(zero(), alice(), SUPPLY));
        assert_next_event(transfer_event(alice(), bob(), 250));
        assert_next_event(transfer_event(bob(), carol(), 50));
    }

    #[test]
    #[should_panic(expected: ('Insufficient balance',))]
    fn transfer_more_than_balance_panics() {
        let mut state = deploy();
        set_caller_address(bob());
        ISimpleToken::transfer(ref state, carol(), 1);
    }

    #[test]
    fn approve_and_transfer_from() {
        let mut state = deploy();
        set_caller_address(alice());
        assert!(ISimpleToken::approve(ref state, bob(), 100));
        assert_eq!(ISimpleToken::allowance(@state, alice(), bob()), 100);
        assert_eq!(ISimpleToken::allowance(@state, bob(), alice()), 0);
        set_caller_address(bob());
        assert!(ISimpleToken::transfer_from(ref state, alice(), carol(), 60));
        assert_eq!(ISimpleToken::allowance(@state, alice(), bob()), 40);
        assert_eq!(ISimpleToken::balance_of(@state, carol()), 60);
        assert_eq!(ISimpleToken::balance_of(@state, alice()), SUPPLY - 60);
        assert_eq!(ISimpleToken::balance_of(@state, bob()), 0);
        assert_next_event(transfer_event(zero(), alice(), SUPPLY));
        assert_next_event(
            SimpleToken::Event::Approval(
                SimpleToken::Approval { owner: alice(), spender: bob(), value: 100 },
            ),
        );
        assert_next_event(transfer_event(alice(), carol(), 60));
    }
}
