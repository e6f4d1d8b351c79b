#[cfg(test)]
mod tests {
    use super::{Ballot, IBallot};
    use starknet::{ContractAddress, contract_address_const};
    use starknet::testing::set_caller_address;

    fn voter(n: felt252) -> ContractAddress {
        n.try_into().unwrap()
    }

    #[test]
    fn votes_are_counted() {
        let mut state = Ballot::contract_state_for_testing();
        Ballot::constructor(ref state, 3);
        assert_eq!(IBallot::proposal_count(@state), 3);
        assert_eq!(IBallot::winning_proposal(@state), 0);
        set_caller_address(voter(1));
        IBallot::vote(ref state, 2);
        set_caller_address(voter(2));
        IBallot::vote(ref state, 1);
        set_caller_address(voter(3));
        IBallot::vote(ref state, 2);
        assert_eq!(IBallot::votes_for(@state, 0), 0);
        assert_eq!(IBallot::votes_for(@state, 1), 1);
        assert_eq!(IBallot::votes_for(@state, 2), 2);
        assert!(IBallot::has_voted(@state, voter(1)));
        assert!(!IBallot::has_voted(@state, voter(4)));
        assert_eq!(IBallot::winning_proposal(@state), 2);
    }

    #[test]
    fn ties_go_to_lowest_index() {
        let mut state = Ballot::contract_state_for_testing();
        Ballot::constructor(ref state, 4);
        set_caller_address(voter(1));
        IBallot::vote(ref state, 3);
        set_caller_address(voter(2));
        IBallot::vote(ref state, 1);
        assert_eq!(IBallot::winning_proposal(@state), 1);
        set_caller_address(voter(3));
        IBallot::vote(ref state, 3);
        assert_eq!(IBallot::winning_proposal(@state), 3);
    }

    #[test]
    #[should_panic(expected: ('Already voted',))]
    fn double_vote_panics() {
        let mut state = Ballot::contract_state_for_testing();
        Ballot::constructor(ref state, 2);
        set_caller_address(contract_address_const::<0x77>());
        IBallot::vote(ref state, 0);
        IBallot::vote(ref state, 1);
    }

    #[test]
    #[should_panic(expected: ('Invalid proposal',))]
    fn out_of_range_proposal_panics() {
        let mut state = Ballot::contract_state_for_testing();
        Ballot::constructor(ref state, 2);
        set_caller_address(contract_address_const::<0x77>());
        IBallot::vote(ref state, 2);
    }
}
