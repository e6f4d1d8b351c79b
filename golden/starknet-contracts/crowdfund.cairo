use starknet::ContractAddress;

#[starknet::interface]
pub trait ICrowdfund<TContractState> {
    fn contribute(ref self: TContractState, amount: u256);
    fn claim(ref self: TContractState) -> u256;
    fn refund(ref self: TContractState) -> u256;
    fn raised(self: @TContractState) -> u256;
    fn contribution_of(self: @TContractState, contributor: ContractAddress) -> u256;
}

#[starknet::contract]
pub mod Crowdfund {
    use starknet::storage::{
        Map, StorageMapReadAccess, StorageMapWriteAccess, StoragePointerReadAccess,
        StoragePointerWriteAccess,
    };
    use starknet::{ContractAddress, get_block_timestamp, get_caller_address};

    #[storage]
    struct Storage {
        creator: ContractAddress,
        goal: u256,
        deadline: u64,
        raised: u256,
        claimed: bool,
        contributions: Map<ContractAddress, u256>,
    }

    #[constructor]
    fn constructor(ref self: ContractState, creator: ContractAddress, goal: u256, deadline: u64) {
        assert(goal > 0, 'Goal must be positive');
        self.creator.write(creator);
        self.goal.write(goal);
        self.deadline.write(deadline);
    }

    #[abi(embed_v0)]
    impl CrowdfundImpl of super::ICrowdfund<ContractState> {
        fn contribute(ref self: ContractState, amount: u256) {
            assert(get_block_timestamp() < self.deadline.read(), 'Campaign ended');
            assert(amount > 0, 'Nothing to contribute');
            let caller = get_caller_address();
            self.contributions.write(caller, self.contributions.read(caller) + amount);
            self.raised.write(self.raised.read() + amount);
        }

        fn claim(ref self: ContractState) -> u256 {
            assert(get_caller_address() == self.creator.read(), 'Not the creator');
            assert(get_block_timestamp() >= self.deadline.read(), 'Campaign not ended');
            assert(self.raised.read() >= self.goal.read(), 'Goal not reached');
            assert(!self.claimed.read(), 'Already claimed');
            self.claimed.write(true);
            self.raised.read()
        }

        fn refund(ref self: ContractState) -> u256 {
            assert(get_block_timestamp() >= self.deadline.read(), 'Campaign not ended');
            assert(self.raised.read() < self.goal.read(), 'Goal reached');
            let caller = get_caller_address();
            let amount = self.contributions.read(caller);
            assert(amount > 0, 'Nothing to refund');
            self.contributions.write(caller, 0);
            amount
        }

        fn raised(self: @ContractState) -> u256 {
            self.raised.read()
        }

        fn contribution_of(self: @ContractState, contributor: ContractAddress) -> u256 {
            self.contributions.read(contributor)
        }
    }
}
