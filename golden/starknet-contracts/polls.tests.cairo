#[cfg(test)]
mod tests {
    use starknet::syscalls::deploy_syscall;
    use starknet::testing::set_contract_address;
    use starknet::{ContractAddress, SyscallResultTrait};
    use super::{IPollsDispatcher, IPollsDispatcherTrait, Polls};

    fn voter(n: felt252) -> ContractAddress {
        n.try_into().unwrap()
    }

    fn deploy() -> IPollsDispatcher {
        let (address, _) = deploy_syscall(Polls::TEST_CLASS_HASH, 0, array![].span(), false)
            .unwrap_syscall();
        IPollsDispatcher { contract_address: address }
    }

    #[test]
    fn polls_count_votes_separately() {
        let polls = deploy();
        let lunch = polls.create_poll('lunch?', 3);
        let dinner = polls.create_poll('dinner?', 2);
        assert_eq!((lunch, dinner), (0, 1));
        assert_eq!(polls.question(dinner), 'dinner?');
        set_contract_address(voter(1));
        polls.vote(lunch, 2);
        polls.vote(dinner, 0); // one vote per poll, not per contract
        set_contract_address(voter(2));
        polls.vote(lunch, 2);
        assert_eq!(polls.votes(lunch, 2), 2);
        assert_eq!(polls.votes(lunch, 0), 0);
        assert_eq!(polls.votes(dinner, 0), 1);
        assert_eq!(polls.total_votes(lunch), 2);
        assert_eq!(polls.total_votes(dinner), 1);
    }

    #[test]
    #[should_panic(expected: ('Already voted', 'ENTRYPOINT_FAILED'))]
    fn one_vote_per_poll() {
        let polls = deploy();
        let id = polls.create_poll('q', 2);
        set_contract_address(voter(1));
        polls.vote(id, 0);
        polls.vote(id, 1);
    }

    #[test]
    #[should_panic(expected: ('Invalid option', 'ENTRYPOINT_FAILED'))]
    fn option_out_of_range() {
        let polls = deploy();
        let id = polls.create_poll('q', 2);
        polls.vote(id, 2);
    }

    #[test]
    #[should_panic(expected: ('Unknown poll', 'ENTRYPOINT_FAILED'))]
    fn unknown_poll() {
        deploy().vote(0, 0);
    }
}
