use starknet::ContractAddress;

#[starknet::interface]
pub trait IBallot<TContractState> {
    fn vote(ref self: TContractState, proposal: u32);
    fn votes_for(self: @TContractState, proposal: u32) -> u32;
    fn has_voted(self: @TContractState, voter: ContractAddress) -> bool;
    fn proposal_count(self: @TContractState) -> u32;
    fn winning_proposal(self: @TContractState) -> u32;
}

#[starknet::contract]
pub mod Ballot {
    use starknet::{ContractAddress, get_caller_address};
    use starknet::storage::{
        Map, StorageMapReadAccess, StorageMapWriteAccess, StoragePointerReadAccess,
        StoragePointerWriteAccess,
    };

    #[storage]
    struct Storage {
        proposal_count: u32,
        votes: Map<u32, u32>,
        voted: Map<ContractAddress, bool>,
    }

    #[constructor]
    fn constructor(ref self: ContractState, proposal_count: u32) {
        assert(proposal_count > 0, 'No proposals');
        self.proposal_count.write(proposal_count);
    }

    #[abi(embed_v0)]
    impl BallotImpl of super::IBallot<ContractState> {
        fn vote(ref self: ContractState, proposal: u32) {
            let voter = get_caller_address();
            assert(!self.voted.read(voter), 'Already voted');
            assert(proposal < self.proposal_count.read(), 'Invalid proposal');
            self.voted.write(voter, true);
            self.votes.write(proposal, self.votes.read(proposal) + 1);
        }

        fn votes_for(self: @ContractState, proposal: u32) -> u32 {
            self.votes.read(proposal)
        }

        fn has_voted(self: @ContractState, voter: ContractAddress) -> bool {
            self.voted.read(voter)
        }

        fn proposal_count(self: @ContractState) -> u32 {
            self.proposal_count.read()
        }

        fn winning_proposal(self: @ContractState) -> u32 {
            let count = self.proposal_count.read();
            let mut best: u32 = 0;
            let mut best_votes: u32 = 0;
            let mut i: u32 = 0;
            while i < count {
                let votes = self.votes.read(i);
                if votes > best_votes {
                    best = i;
                    best_votes = votes;
                }
                i += 1;
            };
            best
        }
    }
}
