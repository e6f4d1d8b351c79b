use snforge_std::{ContractClassTrait, DeclareResultTrait, declare, start_cheat_caller_address};
use starknet::ContractAddress;

fn voter(n: felt252) -> ContractAddress {
    n.try_into().unwrap()
}

fn deploy(proposal_count: u32) -> IBallotDispatcher {
    let class = declare("Ballot").unwrap().contract_class();
    let (contract_address, _) = class.deploy(@array![proposal_count.into()]).unwrap();
    IBallotDispatcher { contract_address }
}

#[test]
fn votes_are_counted_per_voter() {
    let ballot = deploy(3);
    assert_eq!(ballot.proposal_count(), 3);
    start_cheat_caller_address(ballot.contract_address, voter(1));
    ballot.vote(2);
    start_cheat_caller_address(ballot.contract_address, voter(2));
    ballot.vote(1);
    start_cheat_caller_address(ballot.contract_address, voter(3));
    ballot.vote(2);
    assert_eq!(ballot.votes_for(0), 0);
    assert_eq!(ballot.votes_for(1), 1);
    assert_eq!(ballot.votes_for(2), 2);
    assert!(ballot.has_voted(voter(1)));
    assert!(!ballot.has_voted(voter(4)));
    assert_eq!(ballot.winning_proposal(), 2);
}

#[test]
fn ties_go_to_the_lowest_index() {
    let ballot = deploy(4);
    start_cheat_caller_address(ballot.contract_address, voter(1));
    ballot.vote(3);
    start_cheat_caller_address(ballot.contract_address, voter(2));
    ballot.vote(1);
    assert_eq!(ballot.winning_proposal(), 1);
    start_cheat_caller_address(ballot.contract_address, voter(3));
    ballot.vote(3);
    assert_eq!(ballot.winning_proposal(), 3);
}

#[test]
#[should_panic(expected: 'Already voted')]
fn a_voter_votes_once() {
    let ballot = deploy(2);
    start_cheat_caller_address(ballot.contract_address, voter(7));
    ballot.vote(0);
    ballot.vote(1);
}

#[test]
#[should_panic(expected: 'Invalid proposal')]
fn an_unknown_proposal_is_refused() {
    let ballot = deploy(2);
    start_cheat_caller_address(ballot.contract_address, voter(7));
    ballot.vote(2);
}

// snforge hands a constructor's panic back to the test as the deploy's error.
#[test]
fn zero_proposals_are_refused_at_deploy() {
    let class = declare("Ballot").unwrap().contract_class();
    match class.deploy(@array![0]) {
        Result::Ok(_) => panic!("a ballot with no proposals was deployed"),
        Result::Err(panic_data) => assert_eq!(*panic_data.at(0), 'No proposals'),
    }
}
