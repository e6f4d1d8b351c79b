#[starknet::interface]
pub trait ICounter<TState> {
    fn get(self: @TState) -> u64;
    fn increase(ref self: TState, amount: u64);
}

#[starknet::contract]
pub mod Counter {
    use starknet::storage::{StoragePointerReadAccess, StoragePointerWriteAccess};
    #[storage]
    struct Storage {
        count: u64,
    }
    #[abi(embed_v0)]
    impl CounterImpl of super::ICounter<ContractState> {
        fn get(self: @ContractState) -> u64 {
            self.count.read()
        }
        fn increase(ref self: ContractState, amount: u64) {
            self.count.write(self.count.read() + amount);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Counter, ICounter};

    #[test]
    fn starts_at_zero() {
        let state = Counter::contract_state_for_testing();
        assert_eq!(Counter::CounterImpl::get(@state), 0);
    }

    #[test]
    fn increases() {
        let mut state = Counter::contract_state_for_testing();
        Counter::CounterImpl::increase(ref state, 5);
        Counter::CounterImpl::increase(ref state, 2);
        assert_eq!(Counter::CounterImpl::get(@state), 7);
    }
}
