use starknet::ContractAddress;

#[starknet::interface]
pub trait ICalculator<TContractState> {
    fn add(self: @TContractState, a: u64, b: u64) -> u64;
    fn mul(self: @TContractState, a: u64, b: u64) -> u64;
}

#[starknet::interface]
pub trait ICalculatorClient<TContractState> {
    fn sum_of_squares(self: @TContractState, a: u64, b: u64) -> u64;
    fn set_calculator(ref self: TContractState, calculator: ContractAddress);
    fn calculator(self: @TContractState) -> ContractAddress;
}

#[starknet::contract]
pub mod Calculator {
    #[storage]
    struct Storage {}

    #[abi(embed_v0)]
    impl CalculatorImpl of super::ICalculator<ContractState> {
        fn add(self: @ContractState, a: u64, b: u64) -> u64 {
            a + b
        }

        fn mul(self: @ContractState, a: u64, b: u64) -> u64 {
            a * b
        }
    }
}

/// Computes through another contract, reached with the dispatcher of `ICalculator`.
#[starknet::contract]
pub mod CalculatorClient {
    use starknet::ContractAddress;
    use starknet::storage::{StoragePointerReadAccess, StoragePointerWriteAccess};
    use super::{ICalculatorDispatcher, ICalculatorDispatcherTrait};

    #[storage]
    struct Storage {
        calculator: ContractAddress,
    }

    #[constructor]
    fn constructor(ref self: ContractState, calculator: ContractAddress) {
        self.calculator.write(calculator);
    }

    #[abi(embed_v0)]
    impl CalculatorClientImpl of super::ICalculatorClient<ContractState> {
        fn sum_of_squares(self: @ContractState, a: u64, b: u64) -> u64 {
            let calculator = ICalculatorDispatcher { contract_address: self.calculator.read() };
            calculator.add(calculator.mul(a, a), calculator.mul(b, b))
        }

        fn set_calculator(ref self: ContractState, calculator: ContractAddress) {
            self.calculator.write(calculator);
        }

        fn calculator(self: @ContractState) -> ContractAddress {
            self.calculator.read()
        }
    }
}
