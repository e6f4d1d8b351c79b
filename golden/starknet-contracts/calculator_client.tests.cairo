use starknet::syscalls::deploy_syscall;
use starknet::{ContractAddress, SyscallResultTrait};

fn deploy(class_hash: starknet::ClassHash, calldata: Array<felt252>) -> ContractAddress {
    let (address, _) = deploy_syscall(class_hash, 0, calldata.span(), false).unwrap_syscall();
    address
}

fn setup() -> (ContractAddress, ICalculatorClientDispatcher) {
    let calculator = deploy(Calculator::TEST_CLASS_HASH, array![]);
    let client = deploy(CalculatorClient::TEST_CLASS_HASH, array![calculator.into()]);
    (calculator, ICalculatorClientDispatcher { contract_address: client })
}

#[test]
fn the_calculator_works_alone() {
    let calculator = ICalculatorDispatcher { contract_address: deploy(Calculator::TEST_CLASS_HASH, array![]) };
    assert_eq!(calculator.add(2, 3), 5);
    assert_eq!(calculator.mul(4, 5), 20);
}

#[test]
fn the_client_calls_the_calculator() {
    let (calculator, client) = setup();
    assert_eq!(client.calculator(), calculator);
    assert_eq!(client.sum_of_squares(3, 4), 25);
    assert_eq!(client.sum_of_squares(0, 0), 0);
}

#[test]
#[should_panic]
fn overflow_in_the_callee_reverts_the_caller() {
    let (_, client) = setup();
    client.sum_of_squares(0x100000000, 1); // 2^64 does not fit in a u64
}

#[test]
#[should_panic]
fn no_calculator_no_result() {
    let (_, client) = setup();
    client.set_calculator('nothing here'.try_into().unwrap());
    client.sum_of_squares(1, 1);
}
