use starknet::ContractAddress;

#[starknet::interface]
pub trait ISimpleNft<TContractState> {
    fn mint(ref self: TContractState, to: ContractAddress) -> u256;
    fn owner_of(self: @TContractState, token_id: u256) -> ContractAddress;
    fn balance_of(self: @TContractState, owner: ContractAddress) -> u256;
    fn approve(ref self: TContractState, to: ContractAddress, token_id: u256);
    fn get_approved(self: @TContractState, token_id: u256) -> ContractAddress;
    fn transfer_from(ref self: TContractState, from: ContractAddress, to: ContractAddress, token_id: u256);
}

#[starknet::contract]
pub mod SimpleNft {
    use core::num::traits::Zero;
    use starknet::storage::{
        Map, StorageMapReadAccess, StorageMapWriteAccess, StoragePointerReadAccess,
        StoragePointerWriteAccess,
    };
    use starknet::{ContractAddress, get_caller_address};

    #[storage]
    struct Storage {
        minter: ContractAddress,
        next_id: u256,
        owners: Map<u256, ContractAddress>,
        balances: Map<ContractAddress, u256>,
        approvals: Map<u256, ContractAddress>,
    }

    #[event]
    #[derive(Drop, starknet::Event)]
    pub enum Event {
        Transfer: Transfer,
        Approval: Approval,
    }

    #[derive(Drop, starknet::Event)]
    pub struct Transfer {
        #[key]
        pub from: ContractAddress,
        #[key]
        pub to: ContractAddress,
        #[key]
        pub token_id: u256,
    }

    #[derive(Drop, starknet::Event)]
    pub struct Approval {
        #[key]
        pub owner: ContractAddress,
        #[key]
        pub approved: ContractAddress,
        #[key]
        pub token_id: u256,
    }

    #[constructor]
    fn constructor(ref self: ContractState, minter: ContractAddress) {
        self.minter.write(minter);
        self.next_id.write(1);
    }

    #[abi(embed_v0)]
    impl SimpleNftImpl of super::ISimpleNft<ContractState> {
        fn mint(ref self: ContractState, to: ContractAddress) -> u256 {
            assert(get_caller_address() == self.minter.read(), 'Not the minter');
            assert(!to.is_zero(), 'Mint to zero address');
            let token_id = self.next_id.read();
            self.next_id.write(token_id + 1);
            self.owners.write(token_id, to);
            self.balances.write(to, self.balances.read(to) + 1);
            self.emit(Transfer { from: Zero::zero(), to, token_id });
            token_id
        }

        fn owner_of(self: @ContractState, token_id: u256) -> ContractAddress {
            let owner = self.owners.read(token_id);
            assert(!owner.is_zero(), 'Invalid token');
            owner
        }

        fn balance_of(self: @ContractState, owner: ContractAddress) -> u256 {
            self.balances.read(owner)
        }

        fn approve(ref self: ContractState, to: ContractAddress, token_id: u256) {
            let owner = self.owner_of(token_id);
            assert(get_caller_address() == owner, 'Not the owner');
            self.approvals.write(token_id, to);
            self.emit(Approval { owner, approved: to, token_id });
        }

        fn get_approved(self: @ContractState, token_id: u256) -> ContractAddress {
            self.owner_of(token_id);
            self.approvals.read(token_id)
        }

        fn transfer_from(ref self: ContractState, from: ContractAddress, to: ContractAddress, token_id: u256) {
            let owner = self.owner_of(token_id);
            assert(owner == from, 'Wrong sender');
            assert(!to.is_zero(), 'Transfer to zero address');
            let caller = get_caller_address();
            assert(caller == owner || caller == self.approvals.read(token_id), 'Not authorized');
            self.approvals.write(token_id, Zero::zero()); // an approval is for one transfer
            self.owners.write(token_id, to);
            self.balances.write(from, self.balances.read(from) - 1);
            self.balances.write(to, self.balances.read(to) + 1);
            self.emit(Transfer { from, to, token_id });
        }
    }
}
