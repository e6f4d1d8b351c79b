use snforge_std::{
    ContractClassTrait, DeclareResultTrait, declare, start_cheat_block_timestamp,
    start_cheat_caller_address,
};
use starknet::ContractAddress;

fn creator() -> ContractAddress {
    'creator'.try_into().unwrap()
}

fn backer(n: felt252) -> ContractAddress {
    n.try_into().unwrap()
}

const DEADLINE: u64 = 5000;

fn deploy(goal: u256) -> ICrowdfundDispatcher {
    let class = declare("Crowdfund").unwrap().contract_class();
    let mut calldata = array![creator().into()];
    goal.serialize(ref calldata);
    calldata.append(DEADLINE.into());
    let (contract_address, _) = class.deploy(@calldata).unwrap();
    start_cheat_block_timestamp(contract_address, 1000);
    ICrowdfundDispatcher { contract_address }
}

fn call_as(fund: ICrowdfundDispatcher, who: ContractAddress) {
    start_cheat_caller_address(fund.contract_address, who);
}

fn at_time(fund: ICrowdfundDispatcher, timestamp: u64) {
    start_cheat_block_timestamp(fund.contract_address, timestamp);
}

#[test]
fn a_successful_campaign_is_claimed() {
    let fund = deploy(100);
    call_as(fund, backer(1));
    fund.contribute(60);
    call_as(fund, backer(2));
    fund.contribute(50);
    fund.contribute(1);
    assert_eq!(fund.raised(), 111);
    assert_eq!(fund.contribution_of(backer(2)), 51);
    at_time(fund, DEADLINE);
    call_as(fund, creator());
    assert_eq!(fund.claim(), 111);
}

#[test]
fn a_failed_campaign_refunds() {
    let fund = deploy(100);
    call_as(fund, backer(1));
    fund.contribute(30);
    at_time(fund, DEADLINE + 1);
    assert_eq!(fund.refund(), 30);
    assert_eq!(fund.contribution_of(backer(1)), 0);
}

#[test]
#[should_panic(expected: 'Campaign ended')]
fn no_contributions_at_the_deadline() {
    let fund = deploy(100);
    call_as(fund, backer(1));
    at_time(fund, DEADLINE);
    fund.contribute(1);
}

#[test]
#[should_panic(expected: 'Campaign not ended')]
fn no_claim_before_the_deadline() {
    let fund = deploy(10);
    call_as(fund, backer(1));
    fund.contribute(10);
    at_time(fund, DEADLINE - 1);
    call_as(fund, creator());
    fund.claim();
}

#[test]
#[should_panic(expected: 'Goal not reached')]
fn no_claim_below_the_goal() {
    let fund = deploy(100);
    call_as(fund, backer(1));
    fund.contribute(99);
    at_time(fund, DEADLINE);
    call_as(fund, creator());
    fund.claim();
}

#[test]
#[should_panic(expected: 'Not the creator')]
fn only_the_creator_claims() {
    let fund = deploy(10);
    call_as(fund, backer(1));
    fund.contribute(10);
    at_time(fund, DEADLINE);
    fund.claim();
}

#[test]
#[should_panic(expected: 'Nothing to refund')]
fn a_refund_is_paid_once() {
    let fund = deploy(100);
    call_as(fund, backer(1));
    fund.contribute(5);
    at_time(fund, DEADLINE);
    assert_eq!(fund.refund(), 5);
    fund.refund();
}
