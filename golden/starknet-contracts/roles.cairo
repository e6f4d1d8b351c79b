use starknet::ContractAddress;

pub const ADMIN_ROLE: felt252 = 'ADMIN';
pub const MINTER_ROLE: felt252 = 'MINTER';

#[starknet::interface]
pub trait IRoles<TContractState> {
    fn has_role(self: @TContractState, role: felt252, account: ContractAddress) -> bool;
    fn grant_role(ref self: TContractState, role: felt252, account: ContractAddress);
    fn revoke_role(ref self: TContractState, role: felt252, account: ContractAddress);
    fn renounce_role(ref self: TContractState, role: felt252);
    fn mint(ref self: TContractState, amount: u64);
    fn minted(self: @TContractState) -> u64;
}

#[starknet::contract]
pub mod Roles {
    use starknet::storage::{
        Map, StorageMapReadAccess, StorageMapWriteAccess, StoragePointerReadAccess,
        StoragePointerWriteAccess,
    };
    use starknet::{ContractAddress, get_caller_address};
    use super::{ADMIN_ROLE, MINTER_ROLE};

    #[storage]
    struct Storage {
        roles: Map<(felt252, ContractAddress), bool>,
        minted: u64,
    }

    #[event]
    #[derive(Drop, starknet::Event)]
    pub enum Event {
        RoleGranted: RoleGranted,
        RoleRevoked: RoleRevoked,
    }

    #[derive(Drop, starknet::Event)]
    pub struct RoleGranted {
        #[key]
        pub role: felt252,
        #[key]
        pub account: ContractAddress,
    }

    #[derive(Drop, starknet::Event)]
    pub struct RoleRevoked {
        #[key]
        pub role: felt252,
        #[key]
        pub account: ContractAddress,
    }

    #[constructor]
    fn constructor(ref self: ContractState, admin: ContractAddress) {
        self._grant(ADMIN_ROLE, admin);
    }

    #[generate_trait]
    impl InternalImpl of InternalTrait {
        fn _assert_role(self: @ContractState, role: felt252) {
            assert(self.roles.read((role, get_caller_address())), 'Missing role');
        }

        fn _grant(ref self: ContractState, role: felt252, account: ContractAddress) {
            if !self.roles.read((role, account)) {
                self.roles.write((role, account), true);
                self.emit(RoleGranted { role, account });
            }
        }

        fn _revoke(ref self: ContractState, role: felt252, account: ContractAddress) {
            if self.roles.read((role, account)) {
                self.roles.write((role, account), false);
                self.emit(RoleRevoked { role, account });
            }
        }
    }

    #[abi(embed_v0)]
    impl RolesImpl of super::IRoles<ContractState> {
        fn has_role(self: @ContractState, role: felt252, account: ContractAddress) -> bool {
            self.roles.read((role, account))
        }

        fn grant_role(ref self: ContractState, role: felt252, account: ContractAddress) {
            self._assert_role(ADMIN_ROLE);
            self._grant(role, account);
        }

        fn revoke_role(ref self: ContractState, role: felt252, account: ContractAddress) {
            self._assert_role(ADMIN_ROLE);
            self._revoke(role, account);
        }

        fn renounce_role(ref self: ContractState, role: felt252) {
            self._revoke(role, get_caller_address());
        }

        fn mint(ref self: ContractState, amount: u64) {
            self._assert_role(MINTER_ROLE);
            self.minted.write(self.minted.read() + amount);
        }

        fn minted(self: @ContractState) -> u64 {
            self.minted.read()
        }
    }
}
