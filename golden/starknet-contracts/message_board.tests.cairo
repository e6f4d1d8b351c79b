#[cfg(test)]
mod tests {
    use super::{MessageBoard, IMessageBoard};
    use starknet::{ContractAddress, contract_address_const};
    use starknet::testing::{set_caller_address, pop_log_raw};

    fn alice() -> ContractAddress {
        contract_address_const::<0xa11ce>()
    }

    fn bob() -> ContractAddress {
        contract_address_const::<0xb0b>()
    }

    // Pops the oldest event of the contract under test and compares it, key by key and datum by
    // datum, with the serialization of `expected` (built from the answer's own event types).
    fn assert_next_event(expected: MessageBoard::Event) {
        let (keys, data) = pop_log_raw(starknet::get_contract_address()).expect('no event emitted');
        let mut expected_keys: Array<felt252> = array![];
        let mut expected_data: Array<felt252> = array![];
        starknet::Event::append_keys_and_data(@expected, ref expected_keys, ref expected_data);
        assert(keys == expected_keys.span(), 'event keys differ');
        assert(data == expected_data.span(), 'event data differ');
    }

    fn assert_no_more_events() {
        assert(pop_log_raw(starknet::get_contract_address()).is_none(), 'unexpected extra event');
    }

    #[test]
    fn post_stores_and_emits() {
        let mut state = MessageBoard::contract_state_for_testing();
        set_caller_address(alice());
        assert_eq!(IMessageBoard::post(ref state, 'gm'), 0);
        set_caller_address(bob());
        assert_eq!(IMessageBoard::post(ref state, 'wagmi'), 1);
        assert_eq!(IMessageBoard::message_count(@state), 2);
        assert_eq!(IMessageBoard::message(@state, 0), 'gm');
        assert_eq!(IMessageBoard::message(@state, 1), 'wagmi');
        assert_eq!(IMessageBoard::author(@state, 0), alice());
        assert_eq!(IMessageBoard::author(@state, 1), bob());
        assert_next_event(
            MessageBoard::Event::MessagePosted(
                MessageBoard::MessagePosted { id: 0, author: alice(), message: 'gm' },
            ),
        );
        assert_next_event(
            MessageBoard::Event::MessagePosted(
                MessageBoard::MessagePosted { id: 1, author: bob(), message: 'wagmi' },
            ),
        );
        assert_no_more_events();
    }

    #[test]
    fn edit_by_author_emits() {
        let mut state = MessageBoard::contract_state_for_testing();
        set_caller_address(alice());
        IMessageBoard::post(ref state, 'draft');
        IMessageBoard::edit(ref state, 0, 'final');
        assert_eq!(IMessageBoard::message(@state, 0), 'final');
        assert_eq!(IMessageBoard::message_count(@state), 1);
        assert_next_event(
            MessageBoard::Event::MessagePosted(
                MessageBoard::MessagePosted { id: 0, author: alice(), message: 'draft' },
            ),
        );
        assert_next_event(
            MessageBoard::Event::MessageEdited(
                MessageBoard::MessageEdited { id: 0, old_message: 'draft', new_message: 'final' },
            ),
        );
        assert_no_more_events();
    }

    #[test]
    #[should_panic(expected: ('Not the author',))]
    fn edit_by_other_panics() {
        let mut state = MessageBoard::contract_state_for_testing();
        set_caller_address(alice());
        IMessageBoard::post(ref state, 'mine');
        set_caller_address(bob());
        IMessageBoard::edit(ref state, 0, 'hijacked');
    }

    #[test]
    #[should_panic(expected: ('Unknown message',))]
    fn edit_unknown_panics() {
        let mut state = MessageBoard::contract_state_for_testing();
        set_caller_address(alice());
        IMessageBoard::edit(ref state, 0, 'nothing');
    }
}
