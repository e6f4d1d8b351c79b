use starknet::ContractAddress;

#[derive(Copy, Drop, Serde, PartialEq, Debug, starknet::Store)]
pub struct Profile {
    pub name: felt252,
    pub age: u8,
    pub verified: bool,
}

#[starknet::interface]
pub trait IProfiles<TContractState> {
    fn set_profile(ref self: TContractState, name: felt252, age: u8);
    fn profile(self: @TContractState, user: ContractAddress) -> Profile;
    fn verify(ref self: TContractState, user: ContractAddress);
    fn verified_count(self: @TContractState) -> u32;
}

#[starknet::contract]
pub mod Profiles {
    use starknet::storage::{
        Map, StorageMapReadAccess, StorageMapWriteAccess, StoragePointerReadAccess,
        StoragePointerWriteAccess,
    };
    use starknet::{ContractAddress, get_caller_address};
    use super::Profile;

    #[storage]
    struct Storage {
        admin: ContractAddress,
        profiles: Map<ContractAddress, Profile>,
        verified_count: u32,
    }

    #[constructor]
    fn constructor(ref self: ContractState, admin: ContractAddress) {
        self.admin.write(admin);
    }

    #[abi(embed_v0)]
    impl ProfilesImpl of super::IProfiles<ContractState> {
        fn set_profile(ref self: ContractState, name: felt252, age: u8) {
            assert(name != 0, 'Empty name');
            let caller = get_caller_address();
            // editing a profile keeps its verification only if the name is unchanged
            let old = self.profiles.read(caller);
            let verified = old.verified && old.name == name;
            if old.verified && !verified {
                self.verified_count.write(self.verified_count.read() - 1);
            }
            self.profiles.write(caller, Profile { name, age, verified });
        }

        fn profile(self: @ContractState, user: ContractAddress) -> Profile {
            self.profiles.read(user)
        }

        fn verify(ref self: ContractState, user: ContractAddress) {
            assert(get_caller_address() == self.admin.read(), 'Not the admin');
            let mut profile = self.profiles.read(user);
            assert(profile.name != 0, 'No profile');
            if !profile.verified {
                profile.verified = true;
                self.profiles.write(user, profile);
                self.verified_count.write(self.verified_count.read() + 1);
            }
        }

        fn verified_count(self: @ContractState) -> u32 {
            self.verified_count.read()
        }
    }
}
