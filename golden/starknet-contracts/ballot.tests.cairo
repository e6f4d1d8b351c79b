#[cfg(test)]
mod tests {
    use starknet::ContractAddress;
    use starknet::SyscallResultTrait;
    use starknet::syscalls::deploy_syscall;
    use starknet::testing::set_contract_address;
    use super::{Ballot, IBallotDispatcher, IBallotDispatcherTrait};

    fn voter(n: felt252) -> ContractAddress {
        n.try_into().unwrap()
    }

    fn deploy(proposal_count: u32) -> IBallotDispatcher {
        let (address, _) = deploy_syscall(
            Ballot::TEST_CLASS_HASH, 0, array![proposal_count.into()].span(), false,
        )
            .unwrap_syscall();
        IBallotDispatcher { contract_address: address }
    }

    #[test]
    fn votes_are_counted() {
        let ballot = deploy(3);
        assert_eq!(ballot.proposal_count(), 3);
        assert_eq!(ballot.winning_proposal(), 0);
        set_contract_address(voter(1));
        ballot.vote(2);
        set_contract_address(voter(2));
        ballot.vote(1);
        set_contract_address(voter(3));
        ballot.vote(2);
        assert_eq!(ballot.votes_for(0), 0);
        assert_eq!(ballot.votes_for(1), 1);
        assert_eq!(ballot.votes_for(2), 2);
        assert!(ballot.has_voted(voter(1)));
        assert!(!ballot.has_voted(voter(4)));
        assert_eq!(ballot.winning_proposal(), 2);
    }

    #[test]
    fn ties_go_to_lowest_index() {
        let ballot = deploy(4);
        set_contract_address(voter(1));
        ballot.vote(3);
        set_contract_address(voter(2));
        ballot.vote(1);
        assert_eq!(ballot.winning_proposal(), 1);
        set_contract_address(voter(3));
        ballot.vote(3);
        assert_eq!(ballot.winning_proposal(), 3);
    }

    #[test]
    #[should_panic(expected: ('Already voted', 'ENTRYPOINT_FAILED'))]
    fn double_vote_panics() {
        let ballot = deploy(2);
        set_contract_address(voter(0x77));
        ballot.vote(0);
        ballot.vote(1);
    }

    #[test]
    #[should_panic(expected: ('Invalid proposal', 'ENTRYPOINT_FAILED'))]
    fn out_of_range_proposal_panics() {
        let ballot = deploy(2);
        set_contract_address(voter(0x77));
        ballot.vote(2);
    }

    #[test]
    #[should_panic(expected: ('No proposals', 'CONSTRUCTOR_FAILED'))]
    fn zero_proposals_rejected() {
        deploy(0);
    }
}
