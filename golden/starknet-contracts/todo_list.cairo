use starknet::ContractAddress;

#[starknet::interface]
pub trait ITodoList<TContractState> {
    fn add_task(ref self: TContractState, description: felt252) -> u64;
    fn complete(ref self: TContractState, id: u64);
    fn task(self: @TContractState, id: u64) -> (felt252, bool);
    fn task_count(self: @TContractState) -> u64;
    fn open_tasks(self: @TContractState) -> Array<felt252>;
    fn owner(self: @TContractState) -> ContractAddress;
}

#[starknet::contract]
pub mod TodoList {
    use starknet::storage::{
        MutableVecTrait, StoragePointerReadAccess, StoragePointerWriteAccess, Vec, VecTrait,
    };
    use starknet::{ContractAddress, get_caller_address};

    #[storage]
    struct Storage {
        owner: ContractAddress,
        descriptions: Vec<felt252>,
        done: Vec<bool>,
    }

    #[constructor]
    fn constructor(ref self: ContractState, owner: ContractAddress) {
        self.owner.write(owner);
    }

    #[abi(embed_v0)]
    impl TodoListImpl of super::ITodoList<ContractState> {
        fn add_task(ref self: ContractState, description: felt252) -> u64 {
            assert(get_caller_address() == self.owner.read(), 'Not the owner');
            self.descriptions.push(description);
            self.done.push(false);
            self.descriptions.len() - 1
        }

        fn complete(ref self: ContractState, id: u64) {
            assert(get_caller_address() == self.owner.read(), 'Not the owner');
            assert(id < self.done.len(), 'Unknown task');
            self.done.at(id).write(true);
        }

        fn task(self: @ContractState, id: u64) -> (felt252, bool) {
            assert(id < self.descriptions.len(), 'Unknown task');
            (self.descriptions.at(id).read(), self.done.at(id).read())
        }

        fn task_count(self: @ContractState) -> u64 {
            self.descriptions.len()
        }

        fn open_tasks(self: @ContractState) -> Array<felt252> {
            let mut open = array![];
            for i in 0..self.descriptions.len() {
                if !self.done.at(i).read() {
                    open.append(self.descriptions.at(i).read());
                }
            }
            open
        }

        fn owner(self: @ContractState) -> ContractAddress {
            self.owner.read()
        }
    }
}
