use starknet::syscalls::deploy_syscall;
use starknet::testing::{set_block_timestamp, set_contract_address};
use starknet::{ContractAddress, SyscallResultTrait};

fn creator() -> ContractAddress {
    'creator'.try_into().unwrap()
}

fn backer(n: felt252) -> ContractAddress {
    n.try_into().unwrap()
}

const DEADLINE: u64 = 5000;

fn deploy(goal: u256) -> ICrowdfundDispatcher {
    let mut calldata = array![creator().into()];
    goal.serialize(ref calldata);
    calldata.append(DEADLINE.into());
    let (address, _) = deploy_syscall(Crowdfund::TEST_CLASS_HASH, 0, calldata.span(), false).unwrap_syscall();
    set_block_timestamp(1000);
    ICrowdfundDispatcher { contract_address: address }
}

#[test]
fn successful_campaign() {
    let fund = deploy(100);
    set_contract_address(backer(1));
    fund.contribute(60);
    set_contract_address(backer(2));
    fund.contribute(50);
    fund.contribute(1);
    assert_eq!(fund.raised(), 111);
    assert_eq!(fund.contribution_of(backer(2)), 51);
    set_block_timestamp(DEADLINE);
    set_contract_address(creator());
    assert_eq!(fund.claim(), 111);
}

#[test]
fn failed_campaign_refunds() {
    let fund = deploy(100);
    set_contract_address(backer(1));
    fund.contribute(30);
    set_block_timestamp(DEADLINE + 1);
    assert_eq!(fund.refund(), 30);
    assert_eq!(fund.contribution_of(backer(1)), 0);
}

#[test]
#[should_panic(expected: ('Campaign ended', 'ENTRYPOINT_FAILED'))]
fn no_contributions_at_the_deadline() {
    let fund = deploy(100);
    set_block_timestamp(DEADLINE);
    fund.contribute(1);
}

#[test]
#[should_panic(expected: ('Goal not reached', 'ENTRYPOINT_FAILED'))]
fn no_claim_below_the_goal() {
    let fund = deploy(100);
    set_contract_address(backer(1));
    fund.contribute(99);
    set_block_timestamp(DEADLINE);
    set_contract_address(creator());
    fund.claim();
}

#[test]
#[should_panic(expected: ('Already claimed', 'ENTRYPOINT_FAILED'))]
fn claim_only_once() {
    let fund = deploy(10);
    fund.contribute(10);
    set_block_timestamp(DEADLINE);
    set_contract_address(creator());
    fund.claim();
    fund.claim();
}

#[test]
#[should_panic(expected: ('Nothing to refund', 'ENTRYPOINT_FAILED'))]
fn refund_twice_panics() {
    let fund = deploy(100);
    set_contract_address(backer(1));
    fund.contribute(5);
    set_block_timestamp(DEADLINE);
    fund.refund();
    fund.refund();
}
