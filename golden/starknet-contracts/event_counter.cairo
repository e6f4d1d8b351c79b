use starknet::ContractAddress;

#[starknet::interface]
pub trait IEventCounter<TContractState> {
    fn increment(ref self: TContractState, by: u32);
    fn reset(ref self: TContractState);
    fn value(self: @TContractState) -> u32;
}

#[starknet::contract]
pub mod EventCounter {
    use starknet::storage::{StoragePointerReadAccess, StoragePointerWriteAccess};
    use starknet::{ContractAddress, get_caller_address};

    #[storage]
    struct Storage {
        value: u32,
    }

    #[event]
    #[derive(Drop, starknet::Event)]
    pub enum Event {
        Incremented: Incremented,
        Reset: Reset,
    }

    #[derive(Drop, starknet::Event)]
    pub struct Incremented {
        #[key]
        pub caller: ContractAddress,
        pub by: u32,
        pub new_value: u32,
    }

    #[derive(Drop, starknet::Event)]
    pub struct Reset {
        #[key]
        pub caller: ContractAddress,
        pub old_value: u32,
    }

    #[abi(embed_v0)]
    impl EventCounterImpl of super::IEventCounter<ContractState> {
        fn increment(ref self: ContractState, by: u32) {
            assert(by > 0, 'Nothing to add');
            let new_value = self.value.read() + by;
            self.value.write(new_value);
            self.emit(Incremented { caller: get_caller_address(), by, new_value });
        }

        fn reset(ref self: ContractState) {
            let old_value = self.value.read();
            self.value.write(0);
            self.emit(Reset { caller: get_caller_address(), old_value });
        }

        fn value(self: @ContractState) -> u32 {
            self.value.read()
        }
    }
}
