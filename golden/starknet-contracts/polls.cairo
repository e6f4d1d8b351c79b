#[starknet::interface]
pub trait IPolls<TContractState> {
    fn create_poll(ref self: TContractState, question: felt252, options: u8) -> u64;
    fn vote(ref self: TContractState, poll_id: u64, option: u8);
    fn votes(self: @TContractState, poll_id: u64, option: u8) -> u32;
    fn question(self: @TContractState, poll_id: u64) -> felt252;
    fn total_votes(self: @TContractState, poll_id: u64) -> u32;
}

#[starknet::contract]
pub mod Polls {
    use starknet::storage::{
        Map, StoragePathEntry, StoragePointerReadAccess, StoragePointerWriteAccess,
    };
    use starknet::{ContractAddress, get_caller_address};

    /// Everything about one poll, stored under its id.
    #[starknet::storage_node]
    pub struct Poll {
        pub question: felt252,
        pub options: u8,
        pub total: u32,
        pub tally: Map<u8, u32>,
        pub voted: Map<ContractAddress, bool>,
    }

    #[storage]
    struct Storage {
        polls: Map<u64, Poll>,
        poll_count: u64,
    }

    #[abi(embed_v0)]
    impl PollsImpl of super::IPolls<ContractState> {
        fn create_poll(ref self: ContractState, question: felt252, options: u8) -> u64 {
            assert(options >= 2, 'At least two options');
            let id = self.poll_count.read();
            let poll = self.polls.entry(id);
            poll.question.write(question);
            poll.options.write(options);
            self.poll_count.write(id + 1);
            id
        }

        fn vote(ref self: ContractState, poll_id: u64, option: u8) {
            assert(poll_id < self.poll_count.read(), 'Unknown poll');
            let poll = self.polls.entry(poll_id);
            assert(option < poll.options.read(), 'Invalid option');
            let voter = get_caller_address();
            assert(!poll.voted.entry(voter).read(), 'Already voted');
            poll.voted.entry(voter).write(true);
            let tally = poll.tally.entry(option);
            tally.write(tally.read() + 1);
            poll.total.write(poll.total.read() + 1);
        }

        fn votes(self: @ContractState, poll_id: u64, option: u8) -> u32 {
            self.polls.entry(poll_id).tally.entry(option).read()
        }

        fn question(self: @ContractState, poll_id: u64) -> felt252 {
            self.polls.entry(poll_id).question.read()
        }

        fn total_votes(self: @ContractState, poll_id: u64) -> u32 {
            self.polls.entry(poll_id).total.read()
        }
    }
}
