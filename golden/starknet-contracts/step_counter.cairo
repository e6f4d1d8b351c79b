#[starknet::interface]
pub trait IStepCounter<TContractState> {
    fn get(self: @TContractState) -> u128;
    fn get_step(self: @TContractState) -> u128;
    fn tick(ref self: TContractState);
    fn tick_many(ref self: TContractState, times: u32);
}

#[starknet::contract]
pub mod StepCounter {
    use starknet::storage::{StoragePointerReadAccess, StoragePointerWriteAccess};

    #[storage]
    struct Storage {
        value: u128,
        step: u128,
    }

    #[constructor]
    fn constructor(ref self: ContractState, initial_value: u128, step: u128) {
        assert(step > 0, 'Step must be positive');
        self.value.write(initial_value);
        self.step.write(step);
    }

    #[abi(embed_v0)]
    impl StepCounterImpl of super::IStepCounter<ContractState> {
        fn get(self: @ContractState) -> u128 {
            self.value.read()
        }

        fn get_step(self: @ContractState) -> u128 {
            self.step.read()
        }

        fn tick(ref self: ContractState) {
            self.value.write(self.value.read() + self.step.read());
        }

        fn tick_many(ref self: ContractState, times: u32) {
            let times: u128 = times.into();
            self.value.write(self.value.read() + self.step.read() * times);
        }
    }
}
