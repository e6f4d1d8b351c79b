use starknet::ContractAddress;

#[starknet::interface]
pub trait IMultisig<TContractState> {
    fn propose(ref self: TContractState, target: felt252) -> u64;
    fn approve(ref self: TContractState, proposal: u64);
    fn approvals(self: @TContractState, proposal: u64) -> u32;
    fn has_approved(self: @TContractState, proposal: u64, signer: ContractAddress) -> bool;
    fn is_executable(self: @TContractState, proposal: u64) -> bool;
    fn is_signer(self: @TContractState, account: ContractAddress) -> bool;
}

#[starknet::contract]
pub mod Multisig {
    use starknet::storage::{
        Map, StoragePathEntry, StoragePointerReadAccess, StoragePointerWriteAccess,
    };
    use starknet::{ContractAddress, get_caller_address};

    #[storage]
    struct Storage {
        signers: Map<ContractAddress, bool>,
        threshold: u32,
        proposal_count: u64,
        targets: Map<u64, felt252>,
        approval_counts: Map<u64, u32>,
        // proposal -> signer -> approved
        approved: Map<u64, Map<ContractAddress, bool>>,
    }

    #[constructor]
    fn constructor(ref self: ContractState, signers: Span<ContractAddress>, threshold: u32) {
        assert(threshold > 0 && threshold <= signers.len(), 'Invalid threshold');
        for signer in signers {
            self.signers.entry(*signer).write(true);
        }
        self.threshold.write(threshold);
    }

    #[generate_trait]
    impl InternalImpl of InternalTrait {
        fn assert_signer(self: @ContractState) {
            assert(self.signers.entry(get_caller_address()).read(), 'Not a signer');
        }

        fn assert_exists(self: @ContractState, proposal: u64) {
            assert(proposal < self.proposal_count.read(), 'Unknown proposal');
        }
    }

    #[abi(embed_v0)]
    impl MultisigImpl of super::IMultisig<ContractState> {
        fn propose(ref self: ContractState, target: felt252) -> u64 {
            self.assert_signer();
            let id = self.proposal_count.read();
            self.targets.entry(id).write(target);
            self.proposal_count.write(id + 1);
            id
        }

        fn approve(ref self: ContractState, proposal: u64) {
            self.assert_signer();
            self.assert_exists(proposal);
            let signer = get_caller_address();
            let slot = self.approved.entry(proposal).entry(signer);
            assert(!slot.read(), 'Already approved');
            slot.write(true);
            let count = self.approval_counts.entry(proposal);
            count.write(count.read() + 1);
        }

        fn approvals(self: @ContractState, proposal: u64) -> u32 {
            self.approval_counts.entry(proposal).read()
        }

        fn has_approved(self: @ContractState, proposal: u64, signer: ContractAddress) -> bool {
            self.approved.entry(proposal).entry(signer).read()
        }

        fn is_executable(self: @ContractState, proposal: u64) -> bool {
            self.assert_exists(proposal);
            self.approval_counts.entry(proposal).read() >= self.threshold.read()
        }

        fn is_signer(self: @ContractState, account: ContractAddress) -> bool {
            self.signers.entry(account).read()
        }
    }
}
