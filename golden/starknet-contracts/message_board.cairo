use starknet::ContractAddress;

#[starknet::interface]
pub trait IMessageBoard<TContractState> {
    fn post(ref self: TContractState, message: felt252) -> u64;
    fn edit(ref self: TContractState, id: u64, message: felt252);
    fn message(self: @TContractState, id: u64) -> felt252;
    fn author(self: @TContractState, id: u64) -> ContractAddress;
    fn message_count(self: @TContractState) -> u64;
}

#[starknet::contract]
pub mod MessageBoard {
    use starknet::{ContractAddress, get_caller_address};
    use starknet::storage::{
        Map, StorageMapReadAccess, StorageMapWriteAccess, StoragePointerReadAccess,
        StoragePointerWriteAccess,
    };

    #[storage]
    struct Storage {
        messages: Map<u64, felt252>,
        authors: Map<u64, ContractAddress>,
        count: u64,
    }

    #[event]
    #[derive(Drop, starknet::Event)]
    pub enum Event {
        MessagePosted: MessagePosted,
        MessageEdited: MessageEdited,
    }

    #[derive(Drop, starknet::Event)]
    pub struct MessagePosted {
        #[key]
        pub id: u64,
        #[key]
        pub author: ContractAddress,
        pub message: felt252,
    }

    #[derive(Drop, starknet::Event)]
    pub struct MessageEdited {
        #[key]
        pub id: u64,
        pub old_message: felt252,
        pub new_message: felt252,
    }

    #[abi(embed_v0)]
    impl MessageBoardImpl of super::IMessageBoard<ContractState> {
        fn post(ref self: ContractState, message: felt252) -> u64 {
            let id = self.count.read();
            let author = get_caller_address();
            self.messages.write(id, message);
            self.authors.write(id, author);
            self.count.write(id + 1);
            self.emit(MessagePosted { id, author, message });
            id
        }

        fn edit(ref self: ContractState, id: u64, message: felt252) {
            assert(id < self.count.read(), 'Unknown message');
            assert(self.authors.read(id) == get_caller_address(), 'Not the author');
            let old_message = self.messages.read(id);
            self.messages.write(id, message);
            self.emit(MessageEdited { id, old_message, new_message: message });
        }

        fn message(self: @ContractState, id: u64) -> felt252 {
            self.messages.read(id)
        }

        fn author(self: @ContractState, id: u64) -> ContractAddress {
            self.authors.read(id)
        }

        fn message_count(self: @ContractState) -> u64 {
            self.count.read()
        }
    }
}
