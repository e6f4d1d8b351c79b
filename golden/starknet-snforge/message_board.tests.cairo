use snforge_std::{
    ContractClassTrait, DeclareResultTrait, EventSpyAssertionsTrait, EventSpyTrait,
    EventsFilterTrait, declare, spy_events, start_cheat_caller_address,
};
use starknet::ContractAddress;

fn alice() -> ContractAddress {
    'alice'.try_into().unwrap()
}

fn bob() -> ContractAddress {
    'bob'.try_into().unwrap()
}

fn deploy() -> IMessageBoardDispatcher {
    let class = declare("MessageBoard").unwrap().contract_class();
    let (contract_address, _) = class.deploy(@array![]).unwrap();
    IMessageBoardDispatcher { contract_address }
}

#[test]
fn posts_are_stored_with_their_author() {
    let board = deploy();
    start_cheat_caller_address(board.contract_address, alice());
    assert_eq!(board.post('gm'), 0);
    start_cheat_caller_address(board.contract_address, bob());
    assert_eq!(board.post('wagmi'), 1);
    assert_eq!(board.message_count(), 2);
    assert_eq!(board.message(0), 'gm');
    assert_eq!(board.message(1), 'wagmi');
    assert_eq!(board.author(0), alice());
    assert_eq!(board.author(1), bob());
}

#[test]
fn post_emits_one_message_posted() {
    let board = deploy();
    let mut spy = spy_events();
    start_cheat_caller_address(board.contract_address, alice());
    board.post('gm');
    let expected = MessageBoard::Event::MessagePosted(
        MessageBoard::MessagePosted { id: 0, author: alice(), message: 'gm' },
    );
    spy.assert_emitted(@array![(board.contract_address, expected)]);
    assert_eq!(spy.get_events().emitted_by(board.contract_address).events.len(), 1);
}

#[test]
fn the_author_edits_and_it_emits_message_edited() {
    let board = deploy();
    start_cheat_caller_address(board.contract_address, alice());
    board.post('draft');
    let mut spy = spy_events();
    board.edit(0, 'final');
    assert_eq!(board.message(0), 'final');
    assert_eq!(board.message_count(), 1);
    let expected = MessageBoard::Event::MessageEdited(
        MessageBoard::MessageEdited { id: 0, old_message: 'draft', new_message: 'final' },
    );
    spy.assert_emitted(@array![(board.contract_address, expected)]);
    assert_eq!(spy.get_events().emitted_by(board.contract_address).events.len(), 1);
}

#[test]
#[should_panic(expected: 'Not the author')]
fn another_caller_cannot_edit() {
    let board = deploy();
    start_cheat_caller_address(board.contract_address, alice());
    board.post('mine');
    start_cheat_caller_address(board.contract_address, bob());
    board.edit(0, 'hijacked');
}

#[test]
#[should_panic(expected: 'Unknown message')]
fn an_unknown_message_cannot_be_edited() {
    let board = deploy();
    start_cheat_caller_address(board.contract_address, alice());
    board.edit(0, 'nothing');
}
